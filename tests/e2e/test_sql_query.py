"""End to end: DeferrableSqlSensor defers on PostgreSQL, MariaDB and SQLite, holds no slot, ends on the rows.

One DAG run (dags/sql_query.py): a MariaDB wait met by polling, a PostgreSQL wait woken by NOTIFY
(its next poll was minutes away), a SQLite wait that fails at once on ``failure``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import AirflowStack
from tests.support import mariadb, postgres
from tests.triggers.orders.tables import wait_for_backends
from triggers.sql.listen import LISTEN_APPLICATION

pytestmark = [pytest.mark.postgres, pytest.mark.mariadb]

DAG_ID = "sql_query"
POOL = "sql_e2e"
SENSORS = ("wait_in_mariadb", "wait_for_notify", "fail_in_sqlite")
# Not a real credential: the server trusts local connections. It must never show up in the trigger.
PG_PASSWORD = "sql-e2e-s3cret"
JOBS = "CREATE TABLE jobs (id integer PRIMARY KEY, n integer)"


@pytest.fixture(scope="module")
def pg() -> Iterator[postgres.PostgresDatabase]:
    with postgres.fresh_database("ads_e2e_sql") as database:
        database.run(JOBS)
        database.run("INSERT INTO jobs VALUES (1, 0)")
        yield database


@pytest.fixture(scope="module")
def maria() -> Iterator[mariadb.MariaDatabase]:
    with mariadb.fresh_database("ads_e2e_sql") as database:
        database.run(JOBS)
        database.run("INSERT INTO jobs VALUES (1, 0)")
        yield database


def sqlite_jobs(path: Path, n: int) -> None:
    with sqlite3.connect(path) as db:
        db.execute(JOBS.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS"))
        db.execute("INSERT OR REPLACE INTO jobs VALUES (1, ?)", (n,))
    db.close()


def wait_until_the_trigger_listens(stack: AirflowStack, run_id: str, database: postgres.PostgresDatabase) -> None:
    """Return once the notify sensor's trigger has checked in the triggerer and LISTENs."""
    deadline = time.monotonic() + 60
    while stack.task_log(DAG_ID, run_id, "wait_for_notify").count(": not yet (") < 2:
        assert time.monotonic() < deadline, stack.task_log(DAG_ID, run_id, "wait_for_notify")
        time.sleep(0.5)
    asyncio.run(wait_for_backends(database, LISTEN_APPLICATION))


def test_sql_sensors_defer_without_a_slot_and_end_on_the_rows(
    airflow_stack: AirflowStack, pg: postgres.PostgresDatabase, maria: mariadb.MariaDatabase
) -> None:
    stack = airflow_stack
    stack.wait_for_dag(DAG_ID)
    stack.create_pool(POOL, 8)
    workdir = Path(tempfile.mkdtemp(prefix="sql-e2e-"))
    os.chmod(workdir, 0o755)
    sqlite_path = workdir / "jobs.sqlite"
    sqlite_jobs(sqlite_path, 0)
    stack.create_connection("sql_e2e_sqlite", "sqlite", host=str(sqlite_path))
    stack.create_connection(
        "sql_e2e_mariadb", "mysql", host=maria.host, port=maria.port, login=maria.user, schema=maria.name
    )
    stack.create_connection(
        "sql_e2e_pg", "postgres", host=pg.host, port=pg.port, login=pg.user, password=PG_PASSWORD, schema=pg.name
    )

    run_id = stack.trigger_dag(DAG_ID, conf={"job_id": 1})
    for task in SENSORS:
        assert stack.wait_for_task_state(DAG_ID, run_id, task, "deferred", timeout=120) == "deferred"
        trigger = stack.task_instance(DAG_ID, run_id, task)["trigger"]
        assert trigger["classpath"] == "triggers.sql.trigger.SqlQueryTrigger", trigger
        assert PG_PASSWORD not in json.dumps(trigger)
    slots = stack.pool_slots(POOL)
    assert slots["running_slots"] == 0, slots
    assert slots["deferred_slots"] == len(SENSORS), slots

    maria.run("UPDATE jobs SET n = 4 WHERE id = 1")
    sqlite_jobs(sqlite_path, -1)
    wait_until_the_trigger_listens(stack, run_id, pg)
    pg.run("UPDATE jobs SET n = 5 WHERE id = 1")
    pg.run("NOTIFY jobs_changed")

    assert stack.wait_for_run(DAG_ID, run_id, timeout=180) == "failed"  # fail_in_sqlite, as intended
    states = stack.task_states(DAG_ID, run_id)
    assert states == {
        "wait_in_mariadb": "success",
        "wait_for_notify": "success",
        "sum_up": "success",
        "fail_in_sqlite": "failed",
    }, states
    assert stack.xcom(DAG_ID, run_id, "wait_in_mariadb") == 4
    assert stack.xcom(DAG_ID, run_id, "wait_for_notify") == 5
    assert stack.xcom(DAG_ID, run_id, "sum_up") == 9
    notify_report = stack.xcom(DAG_ID, run_id, "wait_for_notify", key="sensor_report")
    assert notify_report["outcome"] == "met"
    assert notify_report["interval"] >= 270  # the only planned poll was minutes away: NOTIFY woke it
    assert "failure criteria met: tests.triggers.sql.conditions.negative(-1)" in stack.task_log(
        DAG_ID, run_id, "fail_in_sqlite"
    )
    assert PG_PASSWORD not in stack.task_log(DAG_ID, run_id, "wait_for_notify")
