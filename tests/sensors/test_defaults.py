"""[operators] default_deferrable: unset, our sensors defer; set, they follow it; an explicit argument wins."""

from __future__ import annotations

from collections.abc import Iterator
from configparser import ConfigParser

import pytest
from airflow.configuration import conf

from sensors import FileArrivalSensor
from sensors.defaults import default_deferrable
from tests.support.sensors import context

ENV = "AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE"


@pytest.fixture(autouse=True)
def unset(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Start from a deployment that does not set the option (in the environment or airflow.cfg)."""
    monkeypatch.delenv(ENV, raising=False)
    had = ConfigParser.has_option(conf, "operators", "default_deferrable")
    saved = ConfigParser.get(conf, "operators", "default_deferrable") if had else None
    if had:
        conf.remove_option("operators", "default_deferrable", remove_default=False)
    yield
    if ConfigParser.has_option(conf, "operators", "default_deferrable"):
        conf.remove_option("operators", "default_deferrable", remove_default=False)
    if saved is not None:
        conf.set("operators", "default_deferrable", saved)


def sensor(**kwargs: object) -> FileArrivalSensor:
    return FileArrivalSensor(task_id="wait", filepath="/data/in.csv", **kwargs)


def test_unset_our_sensors_defer_though_airflows_own_default_is_false() -> None:
    assert conf.getboolean("operators", "default_deferrable") is False  # Airflow's built-in default
    assert default_deferrable() is True
    assert sensor().deferrable is True


@pytest.mark.parametrize(("value", "expected"), [("False", False), ("false", False), ("True", True)])
def test_the_environment_variable_sets_the_default(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv(ENV, value)
    assert sensor().deferrable is expected


def test_the_false_a_generated_airflow_cfg_writes_for_every_default_is_not_a_choice() -> None:
    conf.set("operators", "default_deferrable", "false")  # what `airflow db migrate` writes on first use
    assert sensor().deferrable is True


def test_an_airflow_cfg_that_differs_from_airflows_default_is_followed() -> None:
    conf.set("operators", "default_deferrable", "True")
    assert default_deferrable() is True


def test_it_is_read_when_the_sensor_is_built_not_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    assert sensor().deferrable is True
    monkeypatch.setenv(ENV, "False")
    assert sensor().deferrable is False


def test_an_explicit_argument_wins_over_the_deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "False")
    assert sensor(deferrable=True).deferrable is True
    monkeypatch.setenv(ENV, "True")
    assert sensor(deferrable=False).deferrable is False


def test_poke_mode_from_the_deployment_checks_in_the_worker(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv(ENV, "False")
    path = tmp_path / "in.csv"
    path.write_text("a\n")
    poking = FileArrivalSensor(task_id="wait", filepath=str(path), stable_for=0, poke_interval=0.01, timeout=5)
    assert poking.execute(context())["count"] == 1  # no TaskDeferred: it poked
