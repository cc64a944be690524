import datetime
import time
from datetime import timedelta

import pytest

from sensors.base import REPORT_XCOM_KEY, TIMEOUT_BACKSTOP_GRACE
from sensors.multi_source import MultiSourceReadinessSensor
from tests.support.checks import NeverCheck, script
from tests.support.sensors import TaskInstanceStub, context
from tests.triggers.gather import conditions as funcs
from triggers.compat import AirflowFailException, AirflowSkipException, TaskDeferred
from triggers.errors import ConfigurationError
from triggers.gather import AllOf, CallableCheck, GatherTrigger
from triggers.outcomes import Met, NotYet
from triggers.report import Report

PATH = "tests.triggers.gather.conditions"


def sensor(conditions, **kwargs) -> MultiSourceReadinessSensor:
    kwargs.setdefault("task_id", "wait_for_sources")
    kwargs.setdefault("timeout", 600)
    kwargs.setdefault("poke_interval", 5)
    return MultiSourceReadinessSensor(conditions=conditions, **kwargs)


def deferred_gather(s: MultiSourceReadinessSensor) -> tuple[TaskDeferred, dict]:
    with pytest.raises(TaskDeferred) as deferred:
        s.execute(context())
    return deferred.value, deferred.value.trigger.serialize()[1]["check"]


@pytest.mark.parametrize(
    ("settings", "kind", "need"),
    [
        pytest.param({}, "all_of", 2, id="all"),
        pytest.param({"require_all": False}, "any_of", 1, id="any"),
        pytest.param({"require_all": False, "min_ready": 2}, "at_least", 2, id="min-ready-wins"),
    ],
)
def test_execute_defers_a_gather_trigger_in_the_chosen_mode(settings, kind, need) -> None:
    conditions = {"logs": funcs.not_ready, "catalog": f"{PATH}.not_ready"}
    before = time.time()
    deferred, check = deferred_gather(sensor(conditions, **settings, condition_timeouts={"logs": 30}))
    assert isinstance(deferred.trigger, GatherTrigger)
    assert deferred.timeout == timedelta(seconds=600 + TIMEOUT_BACKSTOP_GRACE)
    assert check["kind"] == kind
    assert deferred.trigger.check.need == need
    assert check["conditions"]["logs"] == {
        "kind": "callable",
        "target": f"{PATH}.not_ready",
        "kwargs": {},
        "share_probe": True,
    }
    assert check["timeouts"] == {"logs": 30}
    assert before <= check["started_at"] <= time.time()
    assert check["round_wait"] == 5


def test_the_seeds_arguments_and_defaults() -> None:
    s = MultiSourceReadinessSensor(conditions={"a": funcs.ready}, task_id="seed")
    assert (s.require_all, s.condition_timeouts, s.min_ready, s.latch) == (True, {}, None, True)


def test_execute_returns_at_once_when_every_source_is_ready_and_reports_each() -> None:
    ctx = context()
    value = sensor({"logs": funcs.ready, "catalog": funcs.catalog_version}).execute(ctx)
    assert value == {"logs": True, "catalog": 101}
    statuses = ctx["ti"].xcoms[REPORT_XCOM_KEY]["detail"]["conditions"]
    assert {name: s["state"] for name, s in statuses.items()} == {"logs": "ready", "catalog": "ready"}


def test_checks_and_nested_compositions_are_conditions_too() -> None:
    ready = CallableCheck(f"{PATH}.ready")
    conditions = {"either": NeverCheck() | ready, "both": ready & CallableCheck(f"{PATH}.catalog_version")}
    assert set(sensor(conditions).execute(context())) == {"either", "both"}


def test_a_lambda_in_an_explicitly_deferrable_sensor_fails_when_the_dag_is_parsed_naming_the_fix() -> None:
    with pytest.raises(ConfigurationError) as raised:
        sensor({"logs": funcs.ready, "catalog": lambda: True}, deferrable=True)
    assert str(raised.value).startswith("conditions['catalog']: is a lambda; ")
    assert "module-level function in an importable module" in str(raised.value)


def test_the_seeds_plain_callables_make_the_sensor_poke_and_say_why(capsys) -> None:
    made = sensor({"logs": funcs.ready, "catalog": lambda: True}, poke_interval=0.01)
    assert made.deferrable is False
    assert "conditions['catalog'] cannot travel to the triggerer" in capsys.readouterr().out
    assert made.execute(context()) == {"logs": True, "catalog": True}


def test_importable_functions_still_defer_by_default() -> None:
    assert sensor({"logs": funcs.ready}).deferrable is True


def test_in_poke_mode_any_callable_works() -> None:
    versions = iter([99, 100, 101])
    conditions = {"catalog": lambda: (next(versions) > 100, "v"), "logs": funcs.ready}
    value = sensor(conditions, deferrable=False, poke_interval=0.01).execute(context())
    assert value == {"catalog": "v", "logs": True}


def test_poke_mode_keeps_statuses_across_pokes_and_latches_met_conditions() -> None:
    asked = []

    def once_then_gone() -> bool:
        asked.append(1)
        return len(asked) == 1

    s = sensor(
        {"gone": once_then_gone, "late": script("poke-late", NotYet("no"), NotYet("no"), Met(1))}, deferrable=False
    )
    ctx = context()
    pokes = [s.poke(ctx) for _ in range(3)]
    assert [bool(p) for p in pokes] == [False, False, True]
    assert len(asked) == 1
    report = Report.from_event(ctx["ti"].xcoms[REPORT_XCOM_KEY])
    assert report.attempts == 3
    assert report.detail["conditions"]["late"]["attempts"] == 3


@pytest.mark.parametrize(
    ("soft_fail", "raised"),
    [pytest.param(False, AirflowFailException, id="fail"), pytest.param(True, AirflowSkipException, id="soft-fail")],
)
def test_poke_mode_fails_naming_the_condition_that_timed_out(soft_fail, raised) -> None:
    s = sensor(
        {"logs": funcs.ready, "inventory": funcs.not_ready},
        condition_timeouts={"inventory": 0.3},
        deferrable=False,
        soft_fail=soft_fail,
    )
    assert not s.poke(context())
    time.sleep(0.35)
    with pytest.raises(raised, match="condition 'inventory' timed out"):
        s.poke(context())


class RescheduledTaskInstance(TaskInstanceStub):
    """A task instance whose first reschedule started 60 s ago."""

    def get_first_reschedule_date(self, context) -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=60)


def test_reschedule_mode_counts_condition_timeouts_from_the_first_try() -> None:
    s = sensor(
        {"logs": funcs.ready, "inventory": funcs.not_ready},
        condition_timeouts={"inventory": 30},
        deferrable=False,
        mode="reschedule",
    )
    with pytest.raises(AirflowFailException, match="condition 'inventory' timed out"):
        s.poke({"ti": RescheduledTaskInstance()})


def test_poke_mode_any_mode_fails_when_nothing_can_be_ready_any_more() -> None:
    s = sensor({"a": funcs.revoked, "b": funcs.buggy}, require_all=False, deferrable=False)
    with pytest.raises(AirflowFailException, match="only 0 of 2 conditions can still be ready"):
        s.poke(context())


def test_execute_complete_returns_the_values_and_pushes_the_statuses() -> None:
    detail = {"conditions": {"logs": {"state": "ready"}}}
    event = Report("met", value={"logs": True}, attempts=3, detail=detail).to_event()
    ctx = context()
    assert sensor({"logs": funcs.ready}).execute_complete(ctx, event=event) == {"logs": True}
    assert ctx["ti"].xcoms[REPORT_XCOM_KEY]["detail"] == detail


@pytest.mark.parametrize(
    ("conditions", "kwargs", "argument"),
    [
        pytest.param({}, {}, "conditions", id="no-conditions"),
        pytest.param([funcs.ready], {}, "conditions", id="not-a-dict"),
        pytest.param({"a": 42}, {}, r"conditions\['a'\]", id="not-callable"),
        pytest.param({"a": funcs.ready}, {"require_all": "yes"}, "require_all", id="require-all"),
        pytest.param({"a": funcs.ready}, {"condition_timeouts": {"b": 5}}, "condition_timeouts", id="timeout-unknown"),
        pytest.param(
            {"a": funcs.ready}, {"condition_timeouts": {"a": -5}}, r"condition_timeouts\['a'\]", id="timeout-negative"
        ),
        pytest.param({"a": funcs.ready}, {"condition_timeouts": [5]}, "condition_timeouts", id="timeouts-not-a-dict"),
        pytest.param({"a": funcs.ready}, {"min_ready": 2}, "min_ready", id="min-ready-too-many"),
        pytest.param({"a": funcs.ready}, {"latch": 1}, "latch", id="latch"),
        pytest.param({"a": f"{PATH}.missing"}, {}, r"conditions\['a'\]", id="bad-dotted-path"),
    ],
)
def test_bad_arguments_fail_at_construction_naming_the_argument(conditions, kwargs, argument) -> None:
    with pytest.raises(ConfigurationError, match=f"^{argument}:"):
        sensor(conditions, **kwargs)


def test_a_gather_given_as_a_condition_keeps_its_own_settings() -> None:
    inner = AllOf({"x": NeverCheck()}, timeouts={"x": 3}, latch=False)
    _, check = deferred_gather(sensor({"inner": inner, "other": NeverCheck()}))
    nested = check["conditions"]["inner"]
    assert (nested["timeouts"], nested["latch"]) == ({"x": 3}, False)
    assert nested["started_at"] == check["started_at"]


def test_a_round_waits_for_slow_conditions_at_most_ten_seconds_so_the_first_look_stays_short() -> None:
    _, check = deferred_gather(sensor({"a": funcs.not_ready}, poke_interval=60))
    assert check["round_wait"] == 10
