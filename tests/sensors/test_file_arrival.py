import os
import time
from datetime import timedelta

import pytest

from sensors import FileArrivalSensor
from sensors.base import REPORT_XCOM_KEY, TIMEOUT_BACKSTOP_GRACE
from sensors.file_arrival import DEFAULT_STABLE_FOR
from tests.support.sensors import context
from triggers.checks import Check
from triggers.compat import AirflowFailException, TaskDeferred
from triggers.errors import ConfigurationError
from triggers.files import FileCheck, FileWatchTrigger
from triggers.report import Report


def sensor(filepath: str, **kwargs) -> FileArrivalSensor:
    kwargs.setdefault("task_id", "wait_for_file")
    kwargs.setdefault("timeout", 600)
    return FileArrivalSensor(filepath=filepath, **kwargs)


def settled(path, data: str = "a,b\n") -> str:
    path.write_text(data)
    old = time.time() - 60
    os.utime(path, (old, old))
    return str(path)


def test_a_complete_file_is_returned_at_once_without_deferring(tmp_path) -> None:
    path = settled(tmp_path / "orders.csv")
    ctx = context()
    value = sensor(path).execute(ctx)
    assert value["files"][0]["path"] == path
    assert ctx["ti"].xcoms[REPORT_XCOM_KEY]["attempts"] == 1


def test_a_missing_file_defers_to_the_file_trigger_with_the_sensor_timeout(tmp_path) -> None:
    with pytest.raises(TaskDeferred) as deferred:
        sensor(f"{tmp_path}/*.csv", marker_suffix=".done", poke_interval=30).execute(context())
    assert isinstance(deferred.value.trigger, FileWatchTrigger)
    assert deferred.value.timeout == timedelta(seconds=600 + TIMEOUT_BACKSTOP_GRACE)
    _, kwargs = deferred.value.trigger.serialize()
    assert Check.from_dict(kwargs["check"]) == FileCheck(f"{tmp_path}/*.csv", marker_suffix=".done")
    assert kwargs["cadence"]["base"] == 30


def test_a_directory_as_filepath_fails_at_once(tmp_path) -> None:
    with pytest.raises(AirflowFailException, match="is a directory"):
        sensor(str(tmp_path)).execute(context())


@pytest.mark.parametrize(
    ("kwargs", "stable_for"),
    [
        pytest.param({}, DEFAULT_STABLE_FOR, id="no-marker"),
        pytest.param({"marker_suffix": ".done"}, 0.0, id="marker-says-complete"),
        pytest.param({"marker_suffix": ".done", "stable_for": 2}, 2, id="both-asked"),
        pytest.param({"stable_for": 0}, 0, id="existence-only"),
    ],
)
def test_stable_for_defaults_to_a_quiet_period_unless_a_marker_is_used(kwargs, stable_for) -> None:
    assert sensor("/in/orders.csv", **kwargs).build_check().stable_for == stable_for


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        pytest.param({"filepath": "in/orders.csv"}, "filepath", id="relative"),
        pytest.param({"filepath": "/in/**/orders.csv"}, "filepath", id="recursive"),
        pytest.param({"max_age": -5}, "max_age", id="max-age"),
        pytest.param({"min_size": -1}, "min_size", id="min-size"),
        pytest.param({"stable_for": -1}, "stable_for", id="stable-for"),
        pytest.param({"marker_suffix": ""}, "marker_suffix", id="marker"),
        pytest.param({"share_probe": "no"}, "share_probe", id="share-probe"),
        pytest.param({"filepath": "{{ params.path }}", "stable_for": -1}, "stable_for", id="templated-path"),
    ],
)
def test_bad_arguments_fail_at_construction_naming_the_argument(kwargs, argument) -> None:
    kwargs = {"filepath": "/in/orders.csv", **kwargs}
    with pytest.raises(ConfigurationError, match=f"^{argument}:"):
        sensor(**kwargs)


def test_a_templated_filepath_is_checked_once_rendered(tmp_path) -> None:
    waiting = sensor("{{ dag_run.conf['path'] }}")
    assert "filepath" in waiting.template_fields
    waiting.filepath = settled(tmp_path / "orders.csv")  # what rendering does before execute()
    assert waiting.execute(context())["count"] == 1


def test_poke_mode_reports_not_yet_then_the_value(tmp_path) -> None:
    path = tmp_path / "orders.csv"
    poking = sensor(str(path), deferrable=False, stable_for=0)
    assert poking.poke(context()) is False
    path.write_text("a,b\n")
    done = poking.poke(context())
    assert done.is_done
    assert done.xcom_value["files"][0]["size"] == 4


def test_execute_complete_returns_the_files_from_the_report() -> None:
    value = {"pattern": "/in/*.csv", "count": 1, "files": [{"path": "/in/a.csv", "size": 4, "mtime": 1.0}]}
    event = Report("met", value=value, attempts=3).to_event()
    assert sensor("/in/*.csv").execute_complete(context(), event=event) == value


def test_share_probe_travels_to_the_trigger_and_defaults_on(tmp_path) -> None:
    for kwargs, shared in (({}, True), ({"share_probe": False}, False)):
        with pytest.raises(TaskDeferred) as deferred:
            sensor(f"{tmp_path}/*.csv", **kwargs).execute(context())
        assert deferred.value.trigger.serialize()[1]["check"]["share_probe"] is shared
        assert deferred.value.trigger.shares_directory() is shared
