"""E2E DAG for DeferrableSqlSensor: one query per database waits side by side in the triggerer.

The test (tests/e2e/test_sql_query.py) creates a ``jobs`` table in a fresh PostgreSQL database, a
fresh MariaDB database and a SQLite file, the connections ``sql_e2e_pg`` (with a password that
must never reach the trigger), ``sql_e2e_mariadb`` and ``sql_e2e_sqlite``, and changes the rows
while the sensors are deferred. The run's conf names the job (``{"job_id": 1}``), bound as a
templated parameter. All tasks run in the pool ``sql_e2e`` so its slot counts are ours.

- ``wait_in_mariadb``: met when the job's ``n`` reaches 3 (``success`` by dotted path).
- ``wait_for_notify``: the same on PostgreSQL with ``listen_channel``; it polls every 300 s but
  times out after 120 s, so its success shows a NOTIFY woke it.
- ``fail_in_sqlite``: fails at once when ``n`` turns negative (``failure``).
- ``sum_up``: reads both met values from XCom.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

from sensors import DeferrableSqlSensor

POOL = "sql_e2e"
CONDITIONS = "tests.triggers.sql.conditions"
COMMON: dict[str, Any] = {
    "sql": "SELECT n FROM jobs WHERE id = %(job)s",
    "parameters": {"job": "{{ dag_run.conf['job_id'] }}"},
    "success": f"{CONDITIONS}.at_least_three",
    "poke_interval": 2,
    "timeout": 120,
    "pool": POOL,
}


def _sum_up(ti: Any) -> int:
    """Return the sum of the two met values the sensors handed downstream."""
    return int(ti.xcom_pull(task_ids="wait_in_mariadb")) + int(ti.xcom_pull(task_ids="wait_for_notify"))


with DAG(dag_id="sql_query", schedule=None, catchup=False, tags=["e2e", "sql"]):
    mariadb = DeferrableSqlSensor(task_id="wait_in_mariadb", conn_id="sql_e2e_mariadb", **COMMON)
    notify = DeferrableSqlSensor(
        task_id="wait_for_notify",
        conn_id="sql_e2e_pg",
        listen_channel="jobs_changed",
        **{**COMMON, "poke_interval": 300},
    )
    [mariadb, notify] >> PythonOperator(task_id="sum_up", python_callable=_sum_up, pool=POOL)
    DeferrableSqlSensor(task_id="fail_in_sqlite", conn_id="sql_e2e_sqlite", failure=f"{CONDITIONS}.negative", **COMMON)
