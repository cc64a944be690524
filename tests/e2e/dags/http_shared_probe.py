"""E2E DAG: 30 APIHealthSensors on one endpoint of the seed's mock API (tests/e2e/test_shared_probe.py).

Deferred in one triggerer, they share one request per look: the API sees one request per poke
interval, not thirty. benchmarks.stack_shared_api writes the same DAG with 200.
"""

from __future__ import annotations

from airflow.sdk import DAG

from sensors import APIHealthSensor

SENSORS = 30

with DAG(dag_id="http_shared_probe", schedule=None, catchup=False, max_active_tasks=SENSORS, tags=["e2e", "http"]):
    for i in range(SENSORS):
        APIHealthSensor(
            task_id=f"wait_{i:03d}",
            endpoint_url="/api/health",
            http_conn_id="bench_shared_api",
            expected_response={"status": "healthy"},
            poke_interval=5,
            backoff_factor=1,  # no backoff, no jitter: a look every 5 s, as often as HttpSensor polls
            backoff_jitter=0,
            timeout=900,
        )
