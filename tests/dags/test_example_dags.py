"""Every example DAG imports cleanly, defers its sensors, and hands their XCom downstream."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

from sensors.base import DeferrableSensor

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


@pytest.fixture(scope="module")
def dagbag() -> DagBag:
    sys.path.insert(0, str(DAGS))  # the dag-processor puts the DAGs folder on sys.path too
    try:
        return DagBag(dag_folder=str(DAGS))
    finally:
        sys.path.remove(str(DAGS))


def test_every_example_dag_imports_with_zero_errors(dagbag: DagBag) -> None:
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == EXPECTED


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_each_dag_has_a_deferrable_sensor_feeding_a_downstream_task(dagbag: DagBag, dag_id: str) -> None:
    dag = dagbag.dags[dag_id]
    sensors = [task for task in dag.tasks if isinstance(task, DeferrableSensor)]
    assert sensors, f"{dag_id} has no sensor of this library"
    for sensor in sensors:
        assert sensor.deferrable
        assert sensor.downstream_task_ids, f"{dag_id}.{sensor.task_id} feeds nothing"
