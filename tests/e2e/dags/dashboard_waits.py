"""E2E DAG for the Sensors view: an HTTP wait that errors (breaker opens) and an adaptive file wait.

The run's conf names the drop directory (``{"dir": ...}``); the test writes the file and runs the
loopback API behind the connection ``http_dashboard_api`` (503 until the test flips it to 200).
"""

from __future__ import annotations

from airflow.sdk import DAG

from sensors import AdaptiveFileSensor, APIHealthSensor

with DAG(dag_id="dashboard_waits", schedule=None, catchup=False, tags=["e2e", "dashboard"]):
    APIHealthSensor(
        task_id="wait_api",
        endpoint_url="/health",
        http_conn_id="http_dashboard_api",
        request_timeout=5,
        poke_interval=1,
        backoff_cap=2,
        failure_threshold=2,
        recovery_timeout=2,
        timeout=300,
    )
    AdaptiveFileSensor(
        task_id="wait_file",
        filepath="{{ dag_run.conf['dir'] }}/incoming/*.csv",
        initial_interval=2,
        min_interval=1,
        max_interval=4,
        stable_for=0,
        watch=False,
        timeout=300,
    )
