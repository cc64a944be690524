"""Where a deferred wait ends: the sensor tells its trigger, and start_from_trigger begins it there."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from sensors import AdaptiveFileSensor, FileArrivalSensor, MultiSourceReadinessSensor, OrderStatusSensor
from sensors.base import DeferrableSensor
from sensors.ending import end_states, is_dag_test
from tests.support.checks import script
from tests.support.sensors import ScriptedSensor, context
from triggers.compat import TaskDeferred
from triggers.errors import ConfigurationError
from triggers.outcomes import NotYet
from triggers.report import Report


def scripted(**kwargs: Any) -> ScriptedSensor:
    script("ending", NotYet("pending"))
    return ScriptedSensor(name="ending", task_id="wait", timeout=60, poke_interval=5, **kwargs)


class Callback(ScriptedSensor):
    """A DAG author's subclass with code to run on the worker after the wait."""

    def on_report(self, context: Any, report: Report) -> None:
        self.log.info("custom")


@pytest.mark.parametrize(
    ("made", "expected"),
    [
        pytest.param(lambda: scripted(), {"failed": "failed", "timeout": "failed"}, id="default"),
        pytest.param(lambda: scripted(soft_fail=True), {"failed": "skipped", "timeout": "skipped"}, id="soft"),
        pytest.param(lambda: scripted(retries=2), {}, id="retries-left"),
        pytest.param(lambda: scripted(do_xcom_push=False, retries=1), {"met": "success"}, id="no-return-value"),
        pytest.param(lambda: scripted(end_in_triggerer=True, retries=1), {"met": "success"}, id="asked"),
        pytest.param(lambda: scripted(end_in_triggerer=False), {}, id="refused"),
        pytest.param(lambda: Callback(name="ending", task_id="cb", timeout=60), {}, id="user-hook"),
        pytest.param(lambda: AdaptiveFileSensor(task_id="a", filepath="/data/*.csv"), {}, id="adaptive-saves"),
    ],
)
def test_the_sensor_lists_the_outcomes_its_trigger_may_end(made: Any, expected: dict[str, str]) -> None:
    assert end_states(made(), context()) == expected


def test_execute_tells_the_trigger() -> None:
    with pytest.raises(TaskDeferred) as deferred:
        scripted(retries=0).execute(context())
    assert deferred.value.trigger.serialize()[1]["end_states"] == {"failed": "failed", "timeout": "failed"}


def test_airflow_dags_test_resumes_on_the_worker_since_it_ignores_task_end_events() -> None:
    dag_test = {**context(), "dag_run": SimpleNamespace(triggering_user_name="dag_test")}
    assert is_dag_test(dag_test)
    assert end_states(scripted(end_in_triggerer=True), dag_test) == {}
    with pytest.raises(TaskDeferred) as deferred:
        scripted(end_in_triggerer=True).execute(dag_test)
    assert "end_states" not in deferred.value.trigger.serialize()[1]


def test_start_from_trigger_carries_the_trigger_with_no_parse_time_deadline(tmp_path) -> None:
    made = OrderStatusSensor(
        task_id="wait",
        order_id=1,
        expected_status="shipped",
        db_path=str(tmp_path),
        timeout=90,
        start_from_trigger=True,
        end_in_triggerer=True,
    )
    args = made.start_trigger_args
    assert made.start_from_trigger is True
    assert args is not None
    assert args.trigger_cls == "triggers.orders.trigger.DbPollTrigger"
    assert args.next_method == "execute_complete"
    assert args.timeout == timedelta(seconds=90)
    assert args.trigger_kwargs["deadline"] is None  # a parse-time deadline would count from parsing
    assert args.trigger_kwargs["check"]["order_ids"] == [1]
    assert args.trigger_kwargs["end_states"] == {"met": "success", "failed": "failed", "timeout": "failed"}


@pytest.mark.parametrize(
    "made",
    [
        pytest.param(
            lambda: OrderStatusSensor(
                task_id="w", order_id="{{ params.id }}", expected_status="shipped", start_from_trigger=True
            ),
            id="templated",
        ),
        pytest.param(
            lambda: FileArrivalSensor(task_id="w", filepath="/d/x", deferrable=False, start_from_trigger=True),
            id="poke-mode",
        ),
        pytest.param(lambda: AdaptiveFileSensor(task_id="w", filepath="/d/x", start_from_trigger=True), id="adaptive"),
        pytest.param(
            lambda: MultiSourceReadinessSensor(
                task_id="w",
                conditions={"f": FileArrivalSensor(task_id="x", filepath="/d/y").build_check()},
                start_from_trigger=True,
            ),
            id="multi-source",
        ),
    ],
)
def test_start_from_trigger_is_refused_where_the_arguments_do_not_allow_it(made: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"^start_from_trigger:"):
        made()


def test_every_shipped_sensor_says_whether_it_may_start_in_the_triggerer() -> None:
    assert DeferrableSensor.supports_start_from_trigger is True
    assert not AdaptiveFileSensor.supports_start_from_trigger
    assert not AdaptiveFileSensor.can_end_in_triggerer
    assert not MultiSourceReadinessSensor.supports_start_from_trigger
