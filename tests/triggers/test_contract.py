"""The trigger contract over every trigger class the package ships."""

import importlib
import pkgutil

import pytest
from airflow.triggers.base import BaseTrigger

import triggers
from tests.support.contract import (
    assert_never_blocks,
    assert_rejects_unknown_keyword,
    assert_round_trips,
    assert_survives_odd_kwargs,
)
from tests.triggers.trigger_samples import SAMPLES


def shipped_trigger_classes() -> set[type]:
    for module in pkgutil.walk_packages(triggers.__path__, "triggers."):
        importlib.import_module(module.name)
    found: set[type] = set()
    pending = [BaseTrigger]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if sub.__module__.startswith("triggers."):
                found.add(sub)
    return found


def test_every_shipped_trigger_has_a_contract_sample() -> None:
    missing = {c.__qualname__ for c in shipped_trigger_classes()} - {c.__qualname__ for c in SAMPLES}
    assert not missing, f"add a sample to tests/triggers/trigger_samples.py for {sorted(missing)}"


CLASSES = [pytest.param(cls, id=cls.__qualname__) for cls in SAMPLES]


@pytest.mark.parametrize("trigger_class", CLASSES)
def test_serialise_json_rebuild_gives_equal_kwargs(trigger_class, tmp_path) -> None:
    assert_round_trips(trigger_class(**SAMPLES[trigger_class](tmp_path)))


@pytest.mark.parametrize("trigger_class", CLASSES)
def test_constructor_rejects_an_unknown_keyword(trigger_class, tmp_path) -> None:
    assert_rejects_unknown_keyword(trigger_class, SAMPLES[trigger_class](tmp_path))


@pytest.mark.parametrize("trigger_class", CLASSES)
def test_run_never_blocks_the_event_loop(trigger_class, tmp_path) -> None:
    assert_never_blocks(lambda: trigger_class(**SAMPLES[trigger_class](tmp_path)))


@pytest.mark.parametrize("trigger_class", CLASSES)
def test_odd_kwargs_never_raise_anything_but_type_error(trigger_class, tmp_path) -> None:
    tried = assert_survives_odd_kwargs(trigger_class, SAMPLES[trigger_class](tmp_path))
    assert tried > 100
