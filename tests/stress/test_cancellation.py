"""10,000 waits of every kind, run as real trigger ``run()`` tasks on one loop and cancelled at random.

Each kind holds what it holds in a triggerer: the shared inotify watcher, the shared HTTP session,
aiosqlite connections, the PostgreSQL query pool and LISTEN connection, gather openings, the
adaptive trigger's override reads, worker threads for callables. After every task was cancelled
(at seeded random moments, many in the middle of opening something) nothing may be left: no file
descriptor, no asyncio task, no PostgreSQL backend and no server-side HTTP connection beyond
what was there before.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.support.http_server import serving_in_this_loop
from tests.support.postgres import PostgresDatabase
from tests.triggers.orders.tables import create_orders
from triggers.adaptive import Adaptive, AdaptiveIntervalTrigger
from triggers.cadence import Fixed
from triggers.files import FileCheck, FileWatchTrigger
from triggers.gather import AnyOf, CallableCheck, GatherTrigger
from triggers.http import HttpCheck, HttpHealthTrigger
from triggers.orders import DbPollTrigger, SqlOrderCheck
from triggers.poll_trigger import PollTrigger

SEED = 20261130
#: waits per kind; 10,000 in all
COUNTS = {
    "file": 2000,
    "http": 1500,
    "sqlite": 1000,
    "postgres": 1500,
    "gather": 1500,
    "adaptive": 1500,
    "callable": 1000,
}
#: every wait is cancelled at a moment drawn from [0, CANCEL_WITHIN) seconds after it started
CANCEL_WITHIN = 3.0
SQLITE_CONN, PG_CONN, CHANNEL = "stress_sqlite", "stress_pg", "stress_orders"

pytestmark = pytest.mark.postgres


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def pg_backends(database: PostgresDatabase) -> int:
    connection = await database.connect()
    try:
        return int(
            await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", database.name
            )
        )
    finally:
        await connection.close()


@pytest.fixture
async def unanswered_server() -> AsyncIterator[tuple[str, web.Server]]:
    """A loopback aiohttp server that answers 503 (not yet) to everything; yields its URL and server."""

    async def not_yet(request: web.Request) -> web.Response:
        return web.Response(status=503)

    async with serving_in_this_loop(not_yet) as (url, runner):
        assert runner.server is not None
        yield url, runner.server


def builders(tmp_path: Path, url: str) -> dict[str, Callable[[int], PollTrigger]]:
    """Return, per kind, a function of the wait's number building its trigger (never met)."""
    common: dict[str, Any] = {"cadence": Fixed(1.0).to_dict(), "deadline": time.time() + 600, "attempt_timeout": 30}
    dirs = [tmp_path / f"drop{n}" for n in range(20)]
    for directory in dirs:
        directory.mkdir()

    def file(n: int) -> PollTrigger:
        return FileWatchTrigger(check=FileCheck(f"{dirs[n % 20]}/never-{n}.csv").to_dict(), **common)

    def http(n: int) -> PollTrigger:
        return HttpHealthTrigger(check=HttpCheck(url, request_timeout=10).to_dict(), **common)

    def sqlite(n: int) -> PollTrigger:
        return DbPollTrigger(
            check=SqlOrderCheck(order_ids=(1,), expected_status="shipped", conn_id=SQLITE_CONN).to_dict(), **common
        )

    def postgres(n: int) -> PollTrigger:
        check = SqlOrderCheck(order_ids=(1,), expected_status="shipped", conn_id=PG_CONN, notify_channel=CHANNEL)
        return DbPollTrigger(check=check.to_dict(), **common)

    def gather(n: int) -> PollTrigger:
        conditions = {
            "file": FileCheck(f"{dirs[n % 20]}/gathered-{n}.csv"),
            "flag": CallableCheck("tests.triggers.gather.conditions.not_ready"),
        }
        return GatherTrigger(check=AnyOf(conditions, started_at=time.time()).to_dict(), **common)

    def adaptive(n: int) -> PollTrigger:
        rule = Adaptive(initial_interval=1.0, min_interval=0.5, max_interval=2.0, history_size=5)
        return AdaptiveIntervalTrigger(
            check=FileCheck(f"{dirs[n % 20]}/adaptive-{n}.csv").to_dict(),
            **{**common, "cadence": rule.to_dict()},
            wait_started=time.time(),
        )

    def callable_(n: int) -> PollTrigger:
        return PollTrigger(check=CallableCheck("tests.triggers.gather.conditions.not_ready").to_dict(), **common)

    return {
        "file": file,
        "http": http,
        "sqlite": sqlite,
        "postgres": postgres,
        "gather": gather,
        "adaptive": adaptive,
        "callable": callable_,
    }


async def run_until_cancelled(trigger: PollTrigger) -> None:
    async for event in trigger.run():
        raise AssertionError(f"a wait that can never be met ended: {event.payload}")


async def settle(condition: Callable[[], Any], within: float = 15.0) -> None:
    """Wait until ``condition()`` is truthy (resources close asynchronously), up to ``within`` seconds."""
    for _ in range(int(within / 0.1)):  # polling: the OS and the servers signal nothing
        if await condition():
            return
        await asyncio.sleep(0.1)


async def test_ten_thousand_waits_cancelled_at_random_leave_nothing_open(
    tmp_path, monkeypatch, postgres_db, unanswered_server
) -> None:
    url, server = unanswered_server
    database = tmp_path / "orders.sqlite"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT)")
        connection.execute("INSERT INTO orders VALUES (1, 'pending')")
    connection.close()
    monkeypatch.setenv(f"AIRFLOW_CONN_{SQLITE_CONN.upper()}", f"sqlite:///{urllib.parse.quote(str(database))}")
    monkeypatch.setenv(f"AIRFLOW_CONN_{PG_CONN.upper()}", postgres_db.airflow_uri)
    await create_orders(postgres_db, notify=True)
    build = builders(tmp_path, url)

    fds, tasks, backends = open_fds(), asyncio.all_tasks(), await pg_backends(postgres_db)
    rng = random.Random(SEED)
    loop = asyncio.get_running_loop()
    began = time.monotonic()
    running: list[asyncio.Task[None]] = []
    for kind, count in COUNTS.items():
        for n in range(count):
            task = asyncio.ensure_future(run_until_cancelled(build[kind](n)))
            loop.call_later(rng.uniform(0, CANCEL_WITHIN), task.cancel)
            running.append(task)
    rng.shuffle(running)  # no kind ends first as a block
    results = await asyncio.gather(*running, return_exceptions=True)
    cancelled = time.monotonic() - began

    surprises = [r for r in results if not isinstance(r, asyncio.CancelledError)]
    assert not surprises, surprises[:5]
    assert len(results) == sum(COUNTS.values()) == 10_000

    async def nothing_left() -> bool:
        return (
            open_fds() <= fds
            and asyncio.all_tasks() == tasks
            and not server.connections
            and await pg_backends(postgres_db) <= backends
        )

    await settle(nothing_left)
    print(f"\n10,000 waits cancelled in {cancelled:.1f}s; fds {fds} -> {open_fds()}")
    assert open_fds() <= fds, f"file descriptors: {fds} before, {open_fds()} after"
    leftover = asyncio.all_tasks() - tasks
    assert not leftover, [repr(t)[:200] for t in list(leftover)[:5]]
    assert not server.connections, f"{len(server.connections)} server-side HTTP connections still open"
    assert await pg_backends(postgres_db) <= backends
