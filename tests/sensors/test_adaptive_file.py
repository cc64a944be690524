import json
import os
import time
from datetime import UTC, datetime, timedelta

import pytest

from sensors.adaptive_file import PERFORMANCE_XCOM_KEY, AdaptiveFileSensor, anchor_of, arrived_at
from sensors.base import TIMEOUT_BACKSTOP_GRACE
from tests.support.sensors import context
from tests.support.variables import Variables
from triggers.adaptive import Adaptive, AdaptiveIntervalTrigger, Learned, SensorHistory
from triggers.adaptive.store import Arrival
from triggers.cadence import Cadence
from triggers.compat import AirflowSensorTimeout, TaskDeferred
from triggers.errors import ConfigurationError
from triggers.history import Attempt
from triggers.report import Report

LOGICAL_DATE = datetime(2024, 1, 1, tzinfo=UTC)
KEY = "adaptive_file_sensor.adhoc_airflow.wait_for_partner"


def sensor(filepath: str, variables: Variables | None = None, **kwargs) -> AdaptiveFileSensor:
    kwargs.setdefault("task_id", "wait_for_partner")
    kwargs.setdefault("timeout", 600)
    made = AdaptiveFileSensor(filepath=filepath, **kwargs)
    made.variables = variables if variables is not None else Variables()
    return made


def run_context() -> dict:
    return {**context(), "logical_date": LOGICAL_DATE}


def stored(variables: Variables, key: str = KEY) -> SensorHistory:
    return SensorHistory.from_json(variables.values[key])


def settled(path, data: str = "a,b\n", mtime: float | None = None) -> str:
    path.write_text(data)
    old = mtime if mtime is not None else time.time() - 60
    os.utime(path, (old, old))
    return str(path)


# The seed's API ---------------------------------------------------------------------------------


def test_the_seeds_defaults() -> None:
    made = sensor("/data/in/orders.csv")
    assert (made.initial_interval, made.min_interval, made.max_interval, made.history_size) == (60, 30, 300, 20)
    assert made.build_cadence() == Adaptive(60, 30, 300, 20)
    assert made.calculate_adaptive_interval() == 60


@pytest.mark.parametrize(
    ("successes", "expected"),
    [
        pytest.param([False, False, False, False], [42, 29, 21, 14], id="misses-shrink-by-30pct"),
        pytest.param([True, True, True, True], [90, 135, 202, 300], id="hits-grow-by-50pct-to-the-max"),
    ],
)
def test_record_attempt_feeds_calculate_adaptive_interval(successes, expected) -> None:
    made = sensor("/data/in/orders.csv", min_interval=10)
    intervals = []
    for success in successes:
        made.record_attempt(success, 0.01)
        intervals.append(made.calculate_adaptive_interval())
    assert intervals == expected
    assert made.calculate_adaptive_interval() == expected[-1]  # deciding again gives the same answer


def test_the_in_memory_history_keeps_history_size_attempts() -> None:
    made = sensor("/data/in/orders.csv", history_size=3)
    for _ in range(5):
        made.record_attempt(False, 0.01)
    assert len(made.history) == 3


def test_interval_override_wins_over_the_rule() -> None:
    made = sensor("/data/in/orders.csv", interval_override=5)
    made.record_attempt(False, 0.01)
    assert made.calculate_adaptive_interval() == 5


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        pytest.param({"initial_interval": 0}, "initial_interval", id="zero-initial"),
        pytest.param(
            {"min_interval": 100, "max_interval": 50, "initial_interval": 60}, "max_interval", id="max-below-min"
        ),
        pytest.param({"initial_interval": 400}, "initial_interval", id="initial-above-max"),
        pytest.param({"history_size": 0}, "history_size", id="no-history"),
        pytest.param({"cadence": "smart"}, "cadence", id="unknown-cadence"),
        pytest.param({"interval_override": 0}, "interval_override", id="zero-override"),
        pytest.param({"history_key": " "}, "history_key", id="blank-history-key"),
        pytest.param({"override_variable": 5}, "override_variable", id="override-variable-not-a-key"),
        pytest.param({"poke_interval": 10}, "poke_interval", id="poke-interval-is-the-cadences"),
        pytest.param({"max_attempt_records": 10}, "max_attempt_records", id="records-are-history-size"),
        pytest.param({"filepath": "in/orders.csv"}, "filepath", id="relative-path"),
    ],
)
def test_bad_arguments_fail_at_construction_naming_the_argument(kwargs, argument) -> None:
    kwargs = {"filepath": "/data/in/orders.csv", **kwargs}
    with pytest.raises(ConfigurationError, match=f"^{argument}:"):
        AdaptiveFileSensor(task_id="bad", **kwargs)


# Deferring with what earlier runs learned ---------------------------------------------------------


def test_it_defers_with_the_history_the_variable_holds(tmp_path) -> None:
    earlier = SensorHistory((Attempt(at=1.0, duration=0.01, outcome="not_yet", interval=45.0),))
    variables = Variables(**{KEY: earlier.to_json()})
    with pytest.raises(TaskDeferred) as deferred:
        sensor(f"{tmp_path}/*.csv", variables).execute(run_context())
    assert isinstance(deferred.value.trigger, AdaptiveIntervalTrigger)
    assert deferred.value.timeout == timedelta(seconds=600 + TIMEOUT_BACKSTOP_GRACE)
    _, kwargs = deferred.value.trigger.serialize()
    assert Cadence.from_dict(kwargs["cadence"]) == Adaptive(60, 30, 300, 20)
    assert kwargs["history"] == [earlier.attempts[0].to_dict()]
    assert kwargs["max_records"] == 20
    assert kwargs["override_variable"] == f"{KEY}.interval_override"
    assert kwargs["check"]["path"] == f"{tmp_path}/*.csv"
    assert kwargs["wait_started"] == pytest.approx(time.time(), abs=60)


def test_a_learned_cadence_gets_the_past_arrivals_and_the_runs_logical_date(tmp_path) -> None:
    earlier = SensorHistory(arrivals=tuple(Arrival(anchor=day * 86400.0, offset=3600.0 + day) for day in range(3)))
    variables = Variables(shared=earlier.to_json())
    with pytest.raises(TaskDeferred) as deferred:
        sensor(f"{tmp_path}/*.csv", variables, cadence="learned", history_key="shared").execute(run_context())
    _, kwargs = deferred.value.trigger.serialize()
    assert Cadence.from_dict(kwargs["cadence"]) == Learned(
        60, 30, 300, 20, anchor=LOGICAL_DATE.timestamp(), arrivals=(3600.0, 3601.0, 3602.0)
    )


def test_a_corrupted_variable_starts_fresh_and_still_defers(tmp_path, capsys) -> None:
    variables = Variables(**{KEY: "{not json"})
    with pytest.raises(TaskDeferred) as deferred:
        sensor(f"{tmp_path}/*.csv", variables).execute(run_context())
    assert deferred.value.trigger.serialize()[1]["history"] == []
    assert "is corrupted" in capsys.readouterr().out  # the task logger prints through structlog


# Saving what this run learned -------------------------------------------------------------------


def test_a_file_already_there_is_returned_and_learned_from(tmp_path) -> None:
    arrived = LOGICAL_DATE.timestamp() + 3600
    path = settled(tmp_path / "orders.csv", mtime=arrived)
    variables = Variables()
    ctx = run_context()
    value = sensor(path, variables).execute(ctx)
    assert value["files"][0]["path"] == path
    history = stored(variables)
    assert [a.outcome for a in history.attempts] == ["met"]
    assert history.arrivals == (Arrival(LOGICAL_DATE.timestamp(), 3600.0),)
    performance = ctx["ti"].xcoms[PERFORMANCE_XCOM_KEY]
    assert (performance["attempts"], performance["success_rate"]) == (1, 1.0)


def met_report(history: list[Attempt], value: dict | None = None, **detail) -> dict:
    return Report(
        "met",
        value=value or {"files": []},
        attempts=2,
        history=tuple(history),
        started_at=LOGICAL_DATE.timestamp() + 7000,
        finished_at=LOGICAL_DATE.timestamp() + 7200,
        interval=42.0,
        detail=detail,
    ).to_event()


def test_execute_complete_saves_the_reports_history_and_the_arrival() -> None:
    history = [
        Attempt(at=LOGICAL_DATE.timestamp() + 7000, duration=0.01, outcome="not_yet", interval=42.0),
        Attempt(at=LOGICAL_DATE.timestamp() + 7042, duration=0.02, outcome="met"),
    ]
    variables = Variables()
    ctx = run_context()
    value = {"files": [{"path": "/in/a.csv", "size": 4, "mtime": LOGICAL_DATE.timestamp() + 7020}]}
    performance = {
        "attempts": 2,
        "success_rate": 0.5,
        "mean_check_duration": 0.015,
        "max_check_duration": 0.02,
        "current_interval": 42.0,
        "time_to_detection": 60.0,
    }
    assert (
        sensor("/in/*.csv", variables).execute_complete(ctx, met_report(history, value, performance=performance))
        == value
    )
    saved = stored(variables)
    assert saved.attempts == tuple(history)
    assert saved.arrivals == (Arrival(LOGICAL_DATE.timestamp(), 7020.0),)  # the file's mtime, not when it was seen
    assert ctx["ti"].xcoms[PERFORMANCE_XCOM_KEY] == performance


def test_a_timed_out_wait_still_saves_what_it_learned() -> None:
    history = [Attempt(at=float(i), duration=0.01, outcome="not_yet", interval=30.0) for i in range(1, 4)]
    variables = Variables()
    event = Report("timeout", reason="deadline passed", attempts=3, history=tuple(history), interval=30.0).to_event()
    with pytest.raises(AirflowSensorTimeout):
        sensor("/in/*.csv", variables).execute_complete(run_context(), event)
    assert stored(variables).attempts == tuple(history)
    assert stored(variables).arrivals == ()


def test_a_variable_that_cannot_be_written_does_not_fail_a_met_sensor(capsys) -> None:
    variables = Variables()
    variables.error = ConnectionError("api-server down")
    history = [Attempt(at=1.0, duration=0.01, outcome="met")]
    assert sensor("/in/*.csv", variables).execute_complete(run_context(), met_report(history)) == {"files": []}
    assert "not saved (ConnectionError: api-server down)" in capsys.readouterr().out


def test_tasks_sharing_a_history_key_add_to_one_history() -> None:
    variables = Variables()
    for task_id, at in (("wait_a", 1.0), ("wait_b", 2.0)):
        history = [Attempt(at=at, duration=0.01, outcome="met")]
        sensor("/in/*.csv", variables, task_id=task_id, history_key="partner_x").execute_complete(
            run_context(), met_report(history)
        )
    assert [a.at for a in stored(variables, "partner_x").attempts] == [1.0, 2.0]


# Poke mode --------------------------------------------------------------------------------------


def test_poke_mode_adapts_poke_interval_after_every_poke(tmp_path) -> None:
    made = sensor(f"{tmp_path}/*.csv", deferrable=False, initial_interval=100, min_interval=10, max_interval=300)
    ctx = run_context()
    intervals = []
    for _ in range(3):
        assert made.poke(ctx) is False
        intervals.append(made.poke_interval)
    settled(tmp_path / "orders.csv")
    assert made.poke(ctx)
    assert intervals == pytest.approx([70, 49, 34.3])
    assert [(a.outcome, a.interval) for a in made.history] == [
        ("not_yet", 70.0),
        ("not_yet", 49.0),
        ("not_yet", 34.3),
        ("met", None),
    ]


def test_poke_mode_reads_the_override_variable_on_every_poke(tmp_path, monkeypatch) -> None:
    made = sensor(f"{tmp_path}/*.csv", deferrable=False, override_variable="adaptive_test_poke_override")
    ctx = run_context()
    made.poke(ctx)
    assert made.poke_interval == 42
    monkeypatch.setenv("AIRFLOW_VAR_ADAPTIVE_TEST_POKE_OVERRIDE", "3")
    made.poke(ctx)
    assert made.poke_interval == 3


def test_a_poke_mode_run_saves_its_history_and_performance(tmp_path) -> None:
    path = settled(tmp_path / "orders.csv")
    variables = Variables()
    ctx = run_context()
    assert sensor(path, variables, deferrable=False).execute(ctx)["count"] == 1
    assert [a.outcome for a in stored(variables).attempts] == ["met"]
    assert ctx["ti"].xcoms[PERFORMANCE_XCOM_KEY]["attempts"] == 1


def test_a_poke_mode_timeout_saves_its_misses(tmp_path) -> None:
    variables = Variables()
    made = sensor(
        f"{tmp_path}/*.csv",
        variables,
        deferrable=False,
        timeout=0.05,
        initial_interval=0.02,
        min_interval=0.01,
        max_interval=0.05,
    )
    with pytest.raises(AirflowSensorTimeout):
        made.execute(run_context())
    saved = stored(variables).attempts
    assert saved
    assert {a.outcome for a in saved} == {"not_yet"}


# Where arrivals are measured from ----------------------------------------------------------------


class DagRun:
    run_after = datetime(2024, 1, 2, 6, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ctx", "expected"),
    [
        pytest.param({"logical_date": LOGICAL_DATE, "dag_run": DagRun()}, LOGICAL_DATE, id="logical-date"),
        pytest.param({"logical_date": None, "dag_run": DagRun()}, DagRun.run_after, id="manual-run-run-after"),
        pytest.param({}, datetime(2024, 1, 3, tzinfo=UTC), id="time-of-day"),
    ],
)
def test_the_anchor_of_a_run(ctx, expected) -> None:
    assert anchor_of(ctx, datetime(2024, 1, 3, 15, 30, tzinfo=UTC).timestamp()) == expected.timestamp()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param({"files": [{"mtime": 50.0}, {"mtime": 40.0}]}, 40.0, id="earliest-mtime"),
        pytest.param({"files": [{"mtime": 500.0}]}, 100.0, id="future-mtime-capped"),
        pytest.param({"files": []}, 100.0, id="no-files-detection-time"),
        pytest.param(None, 100.0, id="no-value"),
    ],
)
def test_when_the_file_arrived(value, expected) -> None:
    assert arrived_at(value, 100.0) == expected


def test_the_stored_value_is_plain_json() -> None:
    variables = Variables()
    sensor("/in/*.csv", variables).execute_complete(run_context(), met_report([Attempt(1.0, 0.01, "met")]))
    assert json.loads(variables.values[KEY])["version"] == 1
