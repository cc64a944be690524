"""SqlQueryTrigger: the whole wait on PostgreSQL, woken by NOTIFY; pools shared and released."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.support.postgres import PostgresDatabase
from tests.triggers.orders.tables import wait_for_backends
from triggers.cadence import Fixed
from triggers.sql import SqlQueryCheck, SqlQueryTrigger
from triggers.sql.listen import LISTEN_APPLICATION
from triggers.sql.postgres import QUERY_APPLICATION

pytestmark = pytest.mark.postgres

CONN_ID = "sql_notify_db"
CHANNEL = "jobs_changed"


@pytest.fixture
async def jobs_db(postgres_db: PostgresDatabase, monkeypatch) -> PostgresDatabase:
    await postgres_db.execute("CREATE TABLE jobs (id integer PRIMARY KEY, n integer); INSERT INTO jobs VALUES (1, 0)")
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", postgres_db.airflow_uri)
    return postgres_db


def trigger(interval: float, wait: float, **check: object) -> SqlQueryTrigger:
    sql_check = SqlQueryCheck(conn_id=CONN_ID, sql="SELECT n FROM jobs WHERE id = %s", parameters=[1], **check)
    return SqlQueryTrigger(
        check=sql_check.to_dict(), cadence=Fixed(interval).to_dict(), deadline=time.time() + wait, max_records=5
    )


# A query can depend on any row: whatever a NOTIFY's payload names, it wakes the wait.
@pytest.mark.parametrize("payload", ["", "42", '{"id": 42, "n": 4}', '"row-9"'], ids=["empty", "id", "row", "text"])
async def test_a_notify_wakes_the_wait_long_before_the_next_poll(jobs_db: PostgresDatabase, payload: str) -> None:
    waiting = asyncio.ensure_future(trigger(300, 60, listen_channel=CHANNEL).make_loop().run())
    await wait_for_backends(jobs_db, LISTEN_APPLICATION)
    await asyncio.sleep(1.0)  # the check the listener's connect wakes runs first: then only the NOTIFY finds n = 4
    await jobs_db.execute("UPDATE jobs SET n = 4 WHERE id = 1")
    await jobs_db.execute(f"NOTIFY {CHANNEL}, '{payload}'")
    report = await asyncio.wait_for(waiting, 30)  # the next poll was 300 s away
    assert (report.outcome, report.value) == ("met", 4)
    # The first check, maybe one more when the listener connects (it wakes everyone then), then the NOTIFY's.
    assert report.attempts <= 3


async def test_without_a_notify_the_cadence_finds_it(jobs_db: PostgresDatabase) -> None:
    waiting = asyncio.ensure_future(trigger(0.1, 60).make_loop().run())
    await wait_for_backends(jobs_db, QUERY_APPLICATION)
    await jobs_db.execute("UPDATE jobs SET n = 4 WHERE id = 1")
    report = await asyncio.wait_for(waiting, 30)
    assert (report.outcome, report.value) == ("met", 4)
    await wait_for_backends(jobs_db, QUERY_APPLICATION, count=0)  # the pool closed with the wait


async def test_a_listen_channel_on_sqlite_fails_at_once(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", f"sqlite:///{tmp_path}/x.sqlite")
    report = await trigger(0.1, 30, listen_channel=CHANNEL).make_loop().run()
    assert report.outcome == "failed"
    assert "listen_channel needs a postgres connection" in report.reason
