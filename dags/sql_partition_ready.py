"""Wait until today's load of a warehouse table is complete, then report it: SqlSensor, deferred.

The connection ``warehouse`` may be PostgreSQL, MySQL/MariaDB or SQLite, e.g.
``AIRFLOW_CONN_WAREHOUSE=postgres://user:password@host:5432/dwh``. The day is bound as a
parameter (never formatted into the SQL) and the query runs read-only. ``max()`` is NULL (not
yet) until a complete load exists, so no ``success`` function has to be importable by the
triggerer; the met value (the XCom) is when the load finished.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG
from example_settings import default_args, seconds

from sensors import DeferrableSqlSensor


def report(ti: Any) -> str:
    """Return a line about the load the sensor saw complete (its XCom: when the load finished)."""
    return f"today's load finished at {ti.xcom_pull(task_ids='wait_for_load')}"


with DAG(
    dag_id="sql_partition_ready",
    description="Wait until a day's warehouse load is complete, without holding a worker slot",
    default_args=default_args,
    schedule="@daily",
    catchup=False,
    tags=["example", "sql"],
):
    wait_for_load = DeferrableSqlSensor(
        task_id="wait_for_load",
        conn_id="warehouse",
        sql="SELECT max(finished_at) FROM loads WHERE day = %(day)s AND status = %(status)s",
        parameters={"day": "{{ ds }}", "status": "complete"},
        fail_on_empty=False,
        poke_interval=seconds(60),
        timeout=seconds(6 * 3600),
        attempt_timeout=30,
    )
    wait_for_load >> PythonOperator(task_id="report_load", python_callable=report)
