"""Smoke DAG for the dev stack: a built-in deferrable sensor, then a task that returns a value."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.providers.standard.sensors.time_delta import TimeDeltaSensor
from airflow.sdk import DAG, Variable

# Long enough for a test to see the sensor deferred; measured from the run's run_after.
SENSOR_DELTA = timedelta(seconds=15)


def _report(**context: Any) -> dict[str, Any]:
    """Return the run's conf value and a Variable, proving both reach the worker."""
    return {
        "answer": 42,
        "conf_token": context["dag_run"].conf.get("token"),
        "greeting": Variable.get("smoke_greeting", default="unset"),
    }


with DAG(dag_id="devstack_smoke", schedule=None, catchup=False, tags=["devstack"]):
    # its own pool: the test reads the sensor's slots alone, whatever other tests' DAGs do
    wait = TimeDeltaSensor(task_id="wait", delta=SENSOR_DELTA, deferrable=True, timeout=300, pool="smoke_e2e")
    report = PythonOperator(task_id="report", python_callable=_report)
    wait >> report
