"""Every example DAG imports cleanly, defers its sensors, and hands their XCom downstream."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sensors.base import DeferrableSensor
from tests.support.airflow_versions import DagBag

DAGS = Path(__file__).resolve().parents[2] / "dags"
EXPECTED = {
    "order_processing",
    "api_health_gate",
    "ml_readiness",
    "partner_file_arrival",
    "circuit_breaker",
    "sensor_composition",
    "sql_partition_ready",
}
#: Event-driven examples: scheduled on an asset whose AssetWatcher runs one of our event triggers.
EVENT_DAGS = {
    "partner_file_events": "FileEventTrigger",
    "order_events": "OrderEventTrigger",
    "api_health_events": "HealthEventTrigger",
}


@pytest.fixture(scope="module")
def dagbag() -> DagBag:
    sys.path.insert(0, str(DAGS))  # the dag-processor puts the DAGs folder on sys.path too
    try:
        return DagBag(dag_folder=str(DAGS))
    finally:
        sys.path.remove(str(DAGS))


def test_every_example_dag_imports_with_zero_errors(dagbag: DagBag) -> None:
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == EXPECTED | set(EVENT_DAGS)


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_each_dag_has_a_deferrable_sensor_feeding_a_downstream_task(dagbag: DagBag, dag_id: str) -> None:
    dag = dagbag.dags[dag_id]
    sensors = [task for task in dag.tasks if isinstance(task, DeferrableSensor)]
    assert sensors, f"{dag_id} has no sensor of this library"
    for sensor in sensors:
        assert sensor.deferrable
        assert sensor.downstream_task_ids, f"{dag_id}.{sensor.task_id} feeds nothing"


@pytest.mark.parametrize(("dag_id", "trigger"), sorted(EVENT_DAGS.items()))
def test_each_event_dag_is_scheduled_on_an_asset_watched_by_our_trigger(
    dagbag: DagBag, dag_id: str, trigger: str
) -> None:
    from airflow.sdk import Asset

    dag = dagbag.dags[dag_id]
    assets = [a for a in dag.timetable.asset_condition.objects if isinstance(a, Asset)]
    watchers = [w for a in assets for w in a.watchers]
    assert [type(w.trigger).__name__ for w in watchers] == [trigger]
    assert watchers[0].trigger.problem is None
