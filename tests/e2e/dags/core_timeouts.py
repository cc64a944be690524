"""E2E DAGs for the sensor base's timeout semantics on a real stack.

Both sensors wait for a file that never comes. ``core_timeout_fails`` must end failed after
one try although it has retries (a sensor timeout is final); ``core_timeout_soft`` must end
skipped (soft_fail), and its downstream task skipped with it.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

from sensors import FileArrivalSensor

NEVER = "{{ dag_run.conf['dir'] }}/never-arrives.csv"

with DAG(dag_id="core_timeout_fails", schedule=None, catchup=False, tags=["e2e", "core"]):
    FileArrivalSensor(
        task_id="wait",
        filepath=NEVER,
        poke_interval=2,
        timeout=8,
        retries=2,
        retry_delay=timedelta(seconds=1),
    ) >> EmptyOperator(task_id="after")

with DAG(dag_id="core_timeout_soft", schedule=None, catchup=False, tags=["e2e", "core"]):
    FileArrivalSensor(task_id="wait", filepath=NEVER, poke_interval=2, timeout=8, soft_fail=True) >> EmptyOperator(
        task_id="after"
    )
