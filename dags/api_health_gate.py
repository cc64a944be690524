"""Seed Task 2: wait until the pricing API is healthy (status and body), then use its answer."""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG
from example_settings import API_URL, default_args, seconds

from sensors import APIHealthSensor


def fetch_prices(ti: Any) -> str:
    """Return a line naming the API version and latency the sensor saw."""
    response = ti.xcom_pull(task_ids="wait_for_api")
    return f"pricing API {response['json']['version']} healthy (HTTP {response['status']}); fetching prices"


with DAG(
    dag_id="api_health_gate",
    description="Wait for a third-party API to come back from maintenance",
    default_args=default_args,
    schedule=None,
    catchup=False,
    tags=["example", "http"],
):
    wait_for_api = APIHealthSensor(
        task_id="wait_for_api",
        endpoint_url=f"{API_URL}/api/health",
        expected_status=200,
        expected_response={"status": "healthy", "version": "1.0"},
        request_timeout=10,
        poke_interval=seconds(10),
        backoff_cap=seconds(60),
        timeout=seconds(900),
    )
    wait_for_api >> PythonOperator(task_id="fetch_prices", python_callable=fetch_prices)
