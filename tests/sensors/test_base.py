import time
from datetime import timedelta

import pytest

from sensors import APIHealthSensor
from sensors.base import DEFAULT_ATTEMPT_TIMEOUT, REPORT_XCOM_KEY, TIMEOUT_BACKSTOP_GRACE
from tests.support.checks import CALLS, SlowCheck, script
from tests.support.sensors import ScriptedSensor, context
from triggers.cadence import Fixed
from triggers.compat import AirflowFailException, AirflowSensorTimeout, AirflowSkipException, TaskDeferred
from triggers.errors import ConfigurationError
from triggers.outcomes import Failed, Met, NotYet
from triggers.poll_trigger import PollTrigger
from triggers.report import Report


def sensor(name: str, **kwargs) -> ScriptedSensor:
    kwargs.setdefault("task_id", "wait")
    kwargs.setdefault("timeout", 600)
    kwargs.setdefault("poke_interval", 5)
    return ScriptedSensor(name=name, **kwargs)


def kwargs_deadline_is_timeout_from_now(trigger: PollTrigger, timeout: float) -> bool:
    return abs(trigger.serialize()[1]["deadline"] - (time.time() + timeout)) < 5


def test_execute_defers_with_the_trigger_and_the_sensor_timeout() -> None:
    script("pending", NotYet("pending"))
    with pytest.raises(TaskDeferred) as deferred:
        sensor("pending", failure_threshold=4).execute(context())
    assert isinstance(deferred.value.trigger, PollTrigger)
    # the trigger's own deadline ends the wait at 600 s; Airflow's timeout is the backstop after it
    assert deferred.value.timeout == timedelta(seconds=600 + TIMEOUT_BACKSTOP_GRACE)
    assert kwargs_deadline_is_timeout_from_now(deferred.value.trigger, 600)
    assert deferred.value.method_name == "execute_complete"
    _, kwargs = deferred.value.trigger.serialize()
    assert kwargs["check"] == {"kind": "test_scripted", "name": "pending"}
    assert kwargs["failure_threshold"] == 4
    assert kwargs["cadence"]["base"] == 5


def test_execute_returns_at_once_when_already_met_without_deferring() -> None:
    script("ready", Met({"id": 1}))
    ctx = context()
    assert sensor("ready").execute(ctx) == {"id": 1}
    assert ctx["ti"].xcoms[REPORT_XCOM_KEY]["attempts"] == 1


def test_execute_fails_at_once_on_a_final_failure() -> None:
    script("cancelled", Failed("order 1 is cancelled"))
    with pytest.raises(AirflowFailException, match="cancelled"):
        sensor("cancelled").execute(context())


@pytest.mark.parametrize(
    ("report", "soft_fail", "expected"),
    [
        pytest.param(Report("failed", reason="gone"), False, AirflowFailException, id="failed"),
        pytest.param(Report("timeout", reason="late"), False, AirflowSensorTimeout, id="timeout"),
        pytest.param(Report("failed", reason="gone"), True, AirflowSkipException, id="failed-soft"),
        pytest.param(Report("timeout", reason="late"), True, AirflowSkipException, id="timeout-soft"),
    ],
)
def test_execute_complete_maps_the_report_to_the_airflow_exception(report, soft_fail, expected) -> None:
    script("any", NotYet("x"))
    with pytest.raises(expected):
        sensor("any", soft_fail=soft_fail).execute_complete(context(), event=report.to_event())


def test_execute_complete_returns_the_value_and_pushes_the_report() -> None:
    script("any", NotYet("x"))
    ctx = context()
    event = Report("met", value={"id": 1}, attempts=4).to_event()
    assert sensor("any").execute_complete(ctx, event=event) == {"id": 1}
    assert ctx["ti"].xcoms[REPORT_XCOM_KEY] == event


def test_execute_complete_fails_clearly_on_an_event_it_cannot_read() -> None:
    script("any", NotYet("x"))
    with pytest.raises(AirflowFailException, match="cannot read"):
        sensor("any").execute_complete(context(), event=True)


async def test_poke_gives_the_same_answers_as_the_trigger() -> None:
    steps = (NotYet("pending"), ConnectionRefusedError("refused"), Met({"id": 1}))
    script("poked", *steps)
    poking = sensor("poked", deferrable=False)
    pokes = [poking.poke(context()) for _ in steps]
    script("deferred", *steps)
    report = (
        await PollTrigger(check={"kind": "test_scripted", "name": "deferred"}, cadence=Fixed(0.01).to_dict())
        .make_loop()
        .run()
    )
    assert [bool(p) for p in pokes] == [False, False, True]
    assert pokes[-1].xcom_value == report.value == {"id": 1}
    assert [a.outcome for a in report.history] == ["not_yet", "not_yet", "met"]


def test_poke_raises_fail_on_a_final_failure() -> None:
    script("poke-cancelled", Failed("cancelled"))
    with pytest.raises(AirflowFailException):
        sensor("poke-cancelled", deferrable=False).poke(context())


def test_poke_mode_execute_runs_airflows_loop_to_the_value() -> None:
    script("poke-loop", NotYet("pending"), Met("done"))
    assert sensor("poke-loop", deferrable=False, poke_interval=0.01).execute(context()) == "done"


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        pytest.param({"failure_threshold": 0}, "failure_threshold", id="threshold"),
        pytest.param({"recovery_timeout": -1}, "recovery_timeout", id="recovery"),
        pytest.param({"attempt_timeout": 0}, "attempt_timeout", id="attempt-timeout"),
        pytest.param({"poke_interval": 0}, "poke_interval", id="zero-interval"),
        pytest.param({"backoff_factor": 0.5}, "backoff_factor", id="factor"),
        pytest.param({"backoff_cap": 1}, "backoff_cap", id="cap-below-interval"),
        pytest.param({"deferrable": "yes"}, "deferrable", id="deferrable"),
        pytest.param({"max_attempt_records": 0}, "max_attempt_records", id="records"),
        pytest.param({"settle": -1}, "settle", id="settle-negative"),
        pytest.param({"settle": "5"}, "settle", id="settle-string"),
    ],
)
def test_bad_arguments_fail_at_construction_naming_the_argument(kwargs, argument) -> None:
    script("args", NotYet("x"))
    with pytest.raises(ConfigurationError, match=f"^{argument}:"):
        sensor("args", **kwargs)


def test_poke_skips_the_check_while_the_breaker_is_open() -> None:
    refused = ConnectionRefusedError("refused")
    script("poke-breaker", refused, refused, Met("up"))
    poking = sensor("poke-breaker", deferrable=False, failure_threshold=2, recovery_timeout=3600)
    pokes = [poking.poke(context()) for _ in range(3)]
    assert [bool(p) for p in pokes] == [False, False, False]
    assert CALLS["poke-breaker"] == 2  # the third poke made no call: the breaker opened after two errors


def test_execute_stamps_the_deferral_time_and_the_settle_hold_in_the_trigger() -> None:
    script("settle-stamp", NotYet("pending"))
    before = time.time()
    with pytest.raises(TaskDeferred) as deferred:
        sensor("settle-stamp", settle=2.5).execute(context())
    _, kwargs = deferred.value.trigger.serialize()
    assert before <= kwargs["deferred_at"] <= time.time()
    assert kwargs["settle"] == 2.5


class HangingSensor(ScriptedSensor):
    """Its check answers after ten minutes: only the bounds can end an attempt sooner."""

    def build_check(self) -> SlowCheck:
        return SlowCheck(600)


def test_attempts_default_to_sixty_seconds() -> None:
    script("pending-default", NotYet("pending"))
    with pytest.raises(TaskDeferred) as deferred:
        sensor("pending-default").execute(context())
    assert deferred.value.trigger.serialize()[1]["attempt_timeout"] == DEFAULT_ATTEMPT_TIMEOUT == 60


def test_the_first_check_in_the_worker_ends_at_the_sensor_timeout() -> None:
    began = time.monotonic()
    with pytest.raises(TaskDeferred):
        HangingSensor(task_id="wait", name="hang", timeout=1, poke_interval=5).execute(context())
    assert time.monotonic() - began < 30  # 60 s (the attempt timeout) if the timeout did not bound it


@pytest.mark.parametrize(
    ("request_timeout", "expected"),
    [pytest.param(30, 60.0, id="default-request-timeout"), pytest.param(120, 150.0, id="long-request-timeout")],
)
def test_the_http_sensor_lets_an_attempt_outlast_its_request_timeout(request_timeout, expected) -> None:
    api = APIHealthSensor(task_id="api", endpoint_url="http://127.0.0.1:9/health", request_timeout=request_timeout)
    assert api.attempt_timeout == expected


def test_airflows_exponential_backoff_is_refused_at_parse_time_naming_it() -> None:
    with pytest.raises(ConfigurationError, match=r"exponential_backoff.*backoff_factor"):
        sensor("never", exponential_backoff=True)


@pytest.mark.parametrize("max_wait", [120, timedelta(minutes=2)])
def test_airflows_max_wait_becomes_the_backoff_cap(max_wait) -> None:
    waiting = sensor("never", max_wait=max_wait)
    assert waiting.backoff_cap == 120.0
    assert waiting.build_cadence().to_dict()["cap"] == 120.0


def test_max_wait_and_backoff_cap_together_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="max_wait"):
        sensor("never", max_wait=60, backoff_cap=30)


def test_poke_mode_paces_the_next_poke_by_the_cadence_not_the_fixed_interval() -> None:
    script("two errors", NotYet("down", error="HTTP 503"), NotYet("down", error="HTTP 503"), Met(1))
    waiting = sensor("two errors", poke_interval=10, backoff_jitter=0.0, deferrable=False, mode="poke")
    assert waiting._get_next_poke_interval(0.0, lambda: 0.0, 1) == 10  # before any poke: poke_interval
    intervals = []
    while not waiting.poke(context()):
        intervals.append(waiting._get_next_poke_interval(0.0, lambda: 0.0, 1))
    assert intervals == [20.0, 40.0]


def test_no_pause_between_pokes_outlives_the_timeout() -> None:
    script("errors", NotYet("down", error="HTTP 503"))
    waiting = sensor("errors", timeout=30, failure_threshold=1, recovery_timeout=3600, deferrable=False)
    waiting.poke(context())  # the breaker opens: an hour to its probe
    assert waiting._get_next_poke_interval(0.0, lambda: 20.0, 1) == pytest.approx(10.0)


def test_reschedule_mode_on_a_deferring_sensor_is_named_as_not_applying(capsys) -> None:
    from sensors import FileArrivalSensor

    made = FileArrivalSensor(task_id="drop", filepath="/data/in/*.csv", mode="reschedule")
    assert made.deferrable is True
    assert "mode='reschedule' does not apply; pass deferrable=False to reschedule" in capsys.readouterr().out
    FileArrivalSensor(task_id="drop2", filepath="/data/in/*.csv", mode="reschedule", deferrable=False)
    assert "does not apply" not in capsys.readouterr().out
