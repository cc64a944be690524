"""Waits on one orders table share each query, about all their orders: SQLite files and PostgreSQL.

Each wait judges its own orders in the shared rows; a NOTIFY wakes only the waits it is about,
whose query then serves them all; SQLite reads many ids in chunks. (A wait joining with orders a
query in flight leaves out: tests/triggers/test_shared_source.py.)
"""

import asyncio
import sqlite3
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import pytest

from tests.triggers.orders.tables import CHANNEL, backends, create_orders, set_status, sql_check
from triggers.cadence import Fixed
from triggers.orders import DbPollTrigger, SqlOrderCheck
from triggers.report import Report
from triggers.shared_source import SOURCES, SharedSource, SourceKey
from triggers.sql.listen import LISTENERS
from triggers.sql.postgres import POOL_MAX_SIZE, QUERY_APPLICATION, QUERY_POOLS
from triggers.sql.targets import POSTGRES_TYPES, PostgresTarget, resolve_sql_target

SQLITE = "orders_shared_sqlite"
POSTGRES = "orders_shared_pg"


@pytest.fixture
def sqlite_orders(tmp_path, monkeypatch):
    """A SQLite file with orders 1..2000, all pending, behind connection SQLITE; returns a setter."""
    path = tmp_path / "orders.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT)")
        db.executemany("INSERT INTO orders VALUES (?, 'pending')", [(i,) for i in range(1, 2001)])
    db.close()
    monkeypatch.setenv(f"AIRFLOW_CONN_{SQLITE.upper()}", f"sqlite:///{urllib.parse.quote(str(path))}")

    def ship(*order_ids: int) -> None:
        with sqlite3.connect(path, timeout=30) as db:
            db.executemany("UPDATE orders SET status = 'shipped' WHERE id = ?", [(i,) for i in order_ids])
        db.close()

    return ship


def trigger(check: SqlOrderCheck, every: float = 0.1) -> DbPollTrigger:
    return DbPollTrigger(check=check.to_dict(), cadence=Fixed(every).to_dict())


async def report_of(t: DbPollTrigger) -> Report:
    return Report.from_event((await anext(aiter(t.run()))).payload)


@asynccontextmanager
async def source_of(check: SqlOrderCheck) -> AsyncIterator[SharedSource]:
    """Hold the table's shared source too, to read how often it was asked (it asks for no orders itself)."""
    async with check.opened(), SOURCES.lease(SourceKey(check.source_key(), lambda *_: None)) as source:
        yield source


async def stop(tasks) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_hundred_waits_on_one_sqlite_table_share_each_query(sqlite_orders) -> None:
    checks = [sql_check(SQLITE, i) for i in range(1, 101)]
    async with source_of(checks[0]) as source:
        waits = [asyncio.ensure_future(report_of(trigger(c))) for c in checks]
        await asyncio.sleep(0.5)
        # in a thread: a read between its steps holds the file's shared lock until the loop runs on
        await asyncio.to_thread(sqlite_orders, *range(1, 101, 2))
        met = await asyncio.wait_for(asyncio.gather(*waits[::2]), 5)
        asked = source.asked
        assert [r.value["id"] for r in met] == list(range(1, 101, 2))
        assert not any(w.done() for w in waits[1::2])
        await stop(waits[1::2])
    assert asked <= 100 + 20, asked  # about one query per 0.1 s tick: alone, 100 per tick
    assert SOURCES.live() == 0


async def test_a_wait_with_two_thousand_orders_reads_them_in_chunks(sqlite_orders) -> None:
    check = sql_check(SQLITE, *range(1, 2001))
    async with check.opened() as probe:
        assert (await probe.check()).kind == "not_yet"
        await asyncio.to_thread(sqlite_orders, *range(1, 2001))
        outcome = await probe.check()
    assert outcome.kind == "met"
    assert [row["id"] for row in outcome.value] == list(range(1, 2001))


async def test_share_probe_false_queries_alone(sqlite_orders) -> None:
    alone = sql_check(SQLITE, 1, share_probe=False)
    async with alone.opened() as probe:
        assert (await probe.check()).kind == "not_yet"
        assert SOURCES.live() == 0


@pytest.fixture
async def notify_db(postgres_db, monkeypatch):
    await create_orders(postgres_db, notify=True)
    for order_id in range(4, 11):
        await postgres_db.execute(
            "INSERT INTO orders (id, customer_id, status, total) VALUES ($1, 1, 'pending', 1)", order_id
        )
    monkeypatch.setenv(f"AIRFLOW_CONN_{POSTGRES.upper()}", postgres_db.airflow_uri)
    return postgres_db


async def test_a_notify_wakes_the_wait_it_is_about_and_its_query_serves_every_wait(notify_db) -> None:
    checks = [sql_check(POSTGRES, i, notify_channel=CHANNEL) for i in range(1, 11)]
    async with source_of(checks[0]) as source:
        waits = [asyncio.ensure_future(report_of(trigger(c, every=60.0))) for c in checks]  # polling: once a minute
        for _ in range(100):
            if source.asked >= 1 and all(not w.done() for w in waits):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # every wait has looked once and LISTENs
        before = source.asked
        await set_status(notify_db, 3, "shipped")
        report = await asyncio.wait_for(waits[2], 5)
        assert (report.outcome, report.value["id"]) == ("met", 3)
        assert source.asked - before <= 2  # the woken wait's query (and at most one more), not ten
        assert not any(w.done() for i, w in enumerate(waits) if i != 2)
        await stop([w for i, w in enumerate(waits) if i != 2])
    assert SOURCES.live() == 0


async def test_an_order_id_that_does_not_fit_the_column_fails_its_own_wait_only(notify_db) -> None:
    waits = {
        order_id: asyncio.ensure_future(report_of(trigger(sql_check(POSTGRES, order_id), every=0.1)))
        for order_id in (1, 2, 99_999_999_999)  # the last is beyond the integer column's range
    }
    unfit = await asyncio.wait_for(waits[99_999_999_999], 10)
    assert unfit.outcome == "failed"
    assert "do not fit" in unfit.reason
    await set_status(notify_db, 1, "shipped")
    assert (await asyncio.wait_for(waits[1], 10)).outcome == "met"
    assert not waits[2].done()  # still waiting on its own order, not failed by the other's
    await stop([waits[2]])


async def pg_target() -> PostgresTarget:
    target = await resolve_sql_target(POSTGRES, POSTGRES_TYPES)
    assert isinstance(target, PostgresTarget)
    return target


async def test_waits_with_a_channel_lease_the_query_pool_once_through_their_source(notify_db) -> None:
    """Each wait LISTENs, but only the table's shared source queries: one pool lease, not one per wait."""
    checks = [sql_check(POSTGRES, order_id, notify_channel=CHANNEL) for order_id in range(1, 11) for _ in range(5)]
    target = await pg_target()
    async with AsyncExitStack() as stack:
        probes = [await stack.enter_async_context(check.opened()) for check in checks]
        listener = await stack.enter_async_context(LISTENERS.lease(target))
        for probe in probes:
            assert (await probe.check()).kind == "not_yet"
        assert QUERY_POOLS.holders(target) == 1, QUERY_POOLS.holders(target)
        assert len(await backends(notify_db, QUERY_APPLICATION)) <= POOL_MAX_SIZE
        await asyncio.wait_for(listener.ready.wait(), 10)
        for probe in probes:  # every wait still LISTENs: a NOTIFY about order 3 wakes its five
            assert probe.wakeup is not None
            probe.wakeup.clear()
        await set_status(notify_db, 3, "shipped")
        woken = probes[10:15]
        await asyncio.wait_for(asyncio.gather(*(probe.wakeup.wait() for probe in woken if probe.wakeup)), 10)
        assert not any(probe.wakeup and probe.wakeup.is_set() for probe in probes if probe not in woken)
    assert QUERY_POOLS.holders(target) == 0
