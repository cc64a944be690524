"""The seed's circuit breaker: stop calling an API in maintenance, probe it again later.

After ``failure_threshold`` consecutive errors (503s, refused connections, timeouts) the sensor
makes no calls for ``recovery_timeout`` seconds, then one half-open probe; the transitions are
in the task log and the report XCom (``sensor_report``).
"""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG
from example_settings import API_URL, default_args, seconds

from sensors import REPORT_XCOM_KEY, APIHealthSensor


def summarise(ti: Any) -> str:
    """Return a line with how many calls the breaker let through and how many errored."""
    report = ti.xcom_pull(task_ids="wait_with_breaker", key=REPORT_XCOM_KEY)
    errors = sum(1 for attempt in report["history"] if attempt["error"])
    kept = len(report["history"])
    return f"{report['attempts']} calls ({errors} errors among the last {kept}); breaker {report['breaker']}"


with DAG(
    dag_id="circuit_breaker",
    description="An API health gate that backs off hard while the API keeps failing",
    default_args=default_args,
    schedule=None,
    catchup=False,
    tags=["example", "http", "circuit-breaker"],
):
    wait_with_breaker = APIHealthSensor(
        task_id="wait_with_breaker",
        endpoint_url=f"{API_URL}/api/health",
        expected_response={"status": "healthy"},
        poke_interval=seconds(8),
        failure_threshold=2,
        recovery_timeout=seconds(30),
        timeout=seconds(900),
    )
    wait_with_breaker >> PythonOperator(task_id="summarise", python_callable=summarise)
