"""E2E DAG for APIHealthSensor against the seed's mock API (started by tests/e2e/test_http_api_health.py).

Three sensors run at once, all through the connection ``http_e2e_api`` (bearer token) or
``http_e2e_wrong_token``: the health check waits through maintenance, the catalog check waits for
version > 100, and the wrong token fails permanently (soft_fail: skipped) without waiting.
"""

from __future__ import annotations

from airflow.sdk import DAG

from sensors import APIHealthSensor

with DAG(dag_id="http_api_health", schedule=None, catchup=False, tags=["e2e", "http"]):
    APIHealthSensor(
        task_id="wait_for_health",
        endpoint_url="/api/health",
        expected_response={"status": "healthy", "version": "1.0"},
        request_timeout=5,
        http_conn_id="http_e2e_api",
        auth_type="bearer",
        poke_interval=1,
        backoff_cap=2,
        timeout=120,
        pool="http_e2e_health",  # its own: the test reads its slots while siblings run
    )
    APIHealthSensor(
        task_id="wait_for_catalog",
        endpoint_url="/api/catalog",
        http_conn_id="http_e2e_api",
        auth_type="bearer",
        field_expectations=[("catalog.version", ">", 100)],
        poke_interval=1,
        backoff_cap=2,
        timeout=120,
    )
    APIHealthSensor(
        task_id="wrong_token",
        endpoint_url="/api/health",
        http_conn_id="http_e2e_wrong_token",
        auth_type="bearer",
        soft_fail=True,
        poke_interval=1,
        timeout=120,
    )
