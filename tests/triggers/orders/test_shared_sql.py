"""Waits on one orders table share each query, about all their orders: SQLite files and PostgreSQL.

Each wait judges its own orders in the shared rows; a NOTIFY wakes only the waits it is about,
whose query then serves them all; SQLite reads many ids in chunks. (A wait joining with orders a
query in flight leaves out: tests/triggers/test_shared_source.py.)
"""

import asyncio
import sqlite3
import time
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


async def test_a_wait_with_a_channel_takes_a_fresh_answer_and_asks_again_after_a_notify(notify_db) -> None:
    """The poll loop sets ``fresh_for`` on the probe a check opens: with a channel too, a look takes
    an answer younger than that instead of asking again, unless a NOTIFY for it came since its last look."""
    one, two = sql_check(POSTGRES, 1, notify_channel=CHANNEL), sql_check(POSTGRES, 2, notify_channel=CHANNEL)
    async with source_of(one) as source, one.opened() as first, two.opened() as second:
        for probe in (first, second):
            probe.fresh_for, probe.clock = 60.0, time.monotonic  # what the poll loop sets: Fixed(60)
        async with LISTENERS.lease(await pg_target()) as listener:
            for probe in (first, second):  # the first looks, which subscribe
                assert (await probe.check()).kind == "not_yet"
            await asyncio.wait_for(listener.ready.wait(), 10)  # LISTENing; its wake-up of every wait is sent
            for probe in (first, second):  # the looks after that wake-up: one asks, the other takes its answer
                assert (await probe.check()).kind == "not_yet"
            asked = source.asked
            for _ in range(3):  # the polling fallback: looks within 60 s of that answer take it
                for probe in (first, second):
                    assert (await probe.check()).kind == "not_yet"
            assert source.asked == asked, source.asked - asked
            assert first.wakeup is not None
            first.wakeup.clear()  # as the poll loop does before a look
            await set_status(notify_db, 1, "shipped")  # NOTIFY order_status, '1'
            await asyncio.wait_for(first.wakeup.wait(), 10)
            assert (await first.check()).kind == "met"  # the NOTIFY asks again, answer fresh or not
            assert (await second.check()).kind == "not_yet"  # takes that answer, new to it
            assert source.asked == asked + 1
    assert SOURCES.live() == 0


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
