"""E2E DAG: APIHealthSensor in reschedule mode against an API that keeps failing.

Each poke runs in a new worker process; the breaker's state travels between them through the
task state store. After ``failure_threshold`` errors it opens, and the pokes until the timeout
skip the API.
"""

from __future__ import annotations

from airflow.sdk import DAG

from sensors import APIHealthSensor

with DAG(dag_id="reschedule_breaker", schedule=None, catchup=False, tags=["e2e", "core"]):
    APIHealthSensor(
        task_id="wait_for_api",
        endpoint_url="/health",
        http_conn_id="reschedule_e2e_api",
        request_timeout=5,
        mode="reschedule",
        deferrable=False,
        # Not 1 s or 5 s: Airflow 3.3.2 fails a task re-queued before the scheduler has read its
        # last run's exit (apache/airflow#71172); on a loaded CI machine that lag passed 5 s.
        poke_interval=15,
        backoff_factor=1,  # a steady pace, so the breaker (not the backoff) is what spaces the pokes out
        failure_threshold=3,
        recovery_timeout=3600,
        timeout=75,
    )
