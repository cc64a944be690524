"""E2E DAG: 50 APIHealthSensors met on their trigger's first check (tests/e2e/test_fast_wakeups.py).

Each asks ``sandbox.wake_api`` through the connection ``fast_wake_api``: 503 to the worker's
check, so the sensor defers, then 200, so its trigger fires moments after the deferral. The same
workload as ``python -m benchmarks.fast_wakeups``, smaller.
"""

from __future__ import annotations

from airflow.sdk import DAG

from sensors import APIHealthSensor

SENSORS = 50

with DAG(dag_id="fast_wakeups_e2e", schedule=None, catchup=False, max_active_tasks=SENSORS, tags=["e2e", "http"]):
    for i in range(SENSORS):
        APIHealthSensor(
            task_id=f"wake_{i:03d}",
            endpoint_url=f"/wake/{i:03d}",
            http_conn_id="fast_wake_api",
            poke_interval=5,
            timeout=600,
            retries=0,  # a task failed by the race must show as failed, not succeed on a retry
        )
