"""Waits running the same read-only query share each run, each judging the row with its own functions.

On SQLite, PostgreSQL and MariaDB (the ``database`` fixture); a query with read_only=False, or
share_probe=False, runs for its own wait.
"""

import asyncio

import pytest

from tests.triggers.sql.databases import CONN_ID, JOBS, Database
from triggers.cadence import Fixed
from triggers.poll_loop import PollLoop
from triggers.shared_source import SOURCES, SourceKey
from triggers.sql import SqlQueryCheck

CONDITIONS = "tests.triggers.sql.conditions"
SQL = "SELECT n FROM jobs WHERE id = %s"


def query(**kwargs) -> SqlQueryCheck:
    return SqlQueryCheck(conn_id=CONN_ID, sql=SQL, parameters=(1,), **kwargs)


async def _never_asked(*_):
    raise AssertionError("the source asks with its first subscriber's ask")


async def test_twenty_waits_share_each_run_and_judge_it_with_their_own_function(database: Database) -> None:
    plain = [query() for _ in range(10)]  # met when n is truthy
    three = [query(success=f"{CONDITIONS}.at_least_three") for _ in range(10)]  # met when n >= 3
    assert plain[0].source_key() == three[0].source_key()
    loops = [PollLoop(check=c, cadence=Fixed(0.1)) for c in plain + three]
    async with plain[0].opened(), SOURCES.lease(SourceKey(plain[0].source_key(), _never_asked)) as source:
        runs = [asyncio.ensure_future(loop.run()) for loop in loops]
        await asyncio.sleep(0.5)
        await asyncio.to_thread(database.run, "UPDATE jobs SET n = 1 WHERE id = 1")
        reports = await asyncio.wait_for(asyncio.gather(*runs[:10]), 10)
        assert {(r.outcome, r.value) for r in reports} == {("met", 1)}
        assert not any(run.done() for run in runs[10:])  # n = 1 is not at least three
        await asyncio.to_thread(database.run, "UPDATE jobs SET n = 3 WHERE id = 1")
        reports = await asyncio.wait_for(asyncio.gather(*runs[10:]), 10)
        asked = source.asked
    assert {(r.outcome, r.value) for r in reports} == {("met", 3)}
    looks = sum(loop.state.attempts for loop in loops)
    assert asked * 5 <= looks, (asked, looks)  # alone, every look would have run the query
    assert SOURCES.live() == 0


async def test_a_writing_query_or_share_probe_false_runs_for_its_own_wait(database: Database) -> None:
    for check in (query(read_only=False), query(share_probe=False)):
        async with check.opened() as probe:
            assert (await probe.check()).kind == "not_yet"
            assert SOURCES.live() == 0


@pytest.mark.postgres
async def test_a_notify_wakes_every_wait_on_the_channel_and_one_run_serves_them(postgres_db, monkeypatch) -> None:
    await postgres_db.execute(JOBS)
    await postgres_db.execute("INSERT INTO jobs VALUES (1, 'running', 0)")
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", postgres_db.airflow_uri)
    checks = [query(listen_channel="jobs_changed") for _ in range(5)]
    loops = [PollLoop(check=c, cadence=Fixed(60.0)) for c in checks]  # polling once a minute: NOTIFY decides
    async with checks[0].opened(), SOURCES.lease(SourceKey(checks[0].source_key(), _never_asked)) as source:
        runs = [asyncio.ensure_future(loop.run()) for loop in loops]
        for _ in range(200):  # every wait has looked once, so every wait LISTENs
            if all(getattr(loop, "state", None) is not None and loop.state.attempts for loop in loops):
                break
            await asyncio.sleep(0.05)
        before = source.asked
        await postgres_db.execute("UPDATE jobs SET n = 2 WHERE id = 1")
        await postgres_db.execute("NOTIFY jobs_changed")
        reports = await asyncio.wait_for(asyncio.gather(*runs), 10)
        assert {(r.outcome, r.value) for r in reports} == {("met", 2)}
        assert source.asked - before <= 2, source.asked - before  # not one run per wait
