"""N order waits on one table: how many queries the shared probe sends per poll interval.

    python -m benchmarks.orders_shared [--waits 1000] [--poll 1] [--seconds 10]

A SQLite file with orders 1..N, all pending, behind an Airflow connection; N DbPollTriggers (one
order each, Fixed(poll)), each ``run()`` one asyncio task, started together (a triggerer's start).
Counts the queries until every wait has its first answer; then, once the loop has settled, counts for
``seconds`` the queries of the table's shared source and the looks of all waits (what they would
query alone, with ``share_probe=False``), and the loop lag meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sqlite3
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from benchmarks.measure import Lag, loop_lag, quiet_logs, settle
from triggers.cadence import Fixed
from triggers.orders import DbPollTrigger, SqlOrderCheck
from triggers.poll_loop import PollLoop
from triggers.shared_source import SOURCES, SourceKey

CONN_ID = "orders_shared_bench"


@dataclass(frozen=True)
class SharedOrders:
    """What ``waits`` waits on one table did over ``seconds``."""

    waits: int
    poll: float
    seconds: float
    queries: int
    looks: int
    lag: Lag
    #: queries, and seconds, from the waits' start until every wait had its first answer
    start_queries: int = 0
    start_seconds: float = 0.0

    @property
    def queries_per_poll(self) -> float:
        return self.queries / (self.seconds / self.poll)


async def _never_asked(*_: object) -> None:
    raise AssertionError("the source asks with its first subscriber's ask")


def create_table(path: Path, orders: int) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT)")
        db.executemany("INSERT INTO orders VALUES (?, 'pending')", [(i,) for i in range(1, orders + 1)])
    db.close()


async def _measure(waits: int, poll: float, seconds: float) -> SharedOrders:
    checks = [SqlOrderCheck(order_ids=(i,), expected_status="shipped", conn_id=CONN_ID) for i in range(1, waits + 1)]
    loops: list[PollLoop] = [
        DbPollTrigger(check=c.to_dict(), cadence=Fixed(poll).to_dict(), seed=i).make_loop()
        for i, c in enumerate(checks)
    ]
    first = checks[0]
    # held beside the waits, with the first check's own ask, to read how often the source is asked
    async with first.opened(), SOURCES.lease(SourceKey(first.source_key(), _never_asked)) as source:
        began = time.monotonic()
        tasks = [asyncio.ensure_future(loop.run()) for loop in loops]
        for _ in range(600):  # every wait has looked once (bounded: a minute)
            if all(getattr(loop, "state", None) is not None and loop.state.attempts for loop in loops):
                break
            await asyncio.sleep(0.1)
        start_queries, start_seconds = source.asked, time.monotonic() - began
        await settle(at_least=1.0, at_most=10.0)  # the lag of waiting, not of starting (as files_scale)
        queries, looks = source.asked, sum(loop.state.attempts for loop in loops)
        lags = await loop_lag(seconds)
        queries, looks = source.asked - queries, sum(loop.state.attempts for loop in loops) - looks
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return SharedOrders(waits, poll, seconds, queries, looks, Lag.of(lags), start_queries, start_seconds)


def run(waits: int = 1000, poll: float = 1.0, seconds: float = 10.0) -> SharedOrders:
    """Measure ``waits`` waits on one SQLite table polled every ``poll`` seconds."""
    with tempfile.TemporaryDirectory(prefix="bench-orders-shared-") as tmp:
        path = Path(tmp) / "orders.sqlite"
        create_table(path, waits)
        os.environ[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = f"sqlite:///{urllib.parse.quote(str(path))}"
        return asyncio.run(_measure(waits, poll, seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--waits", type=int, default=1000)
    parser.add_argument("--poll", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    quiet_logs(logging.CRITICAL)
    result = run(args.waits, args.poll, args.seconds)
    print(
        f"{result.waits:,} waits, poll {result.poll:g} s, {result.seconds:g} s: {result.queries} queries"
        f" ({result.queries_per_poll:.2f} per poll interval), {result.looks:,} looks (queries alone),"
        f" loop lag ms {result.lag.ms()}; started together, {result.start_queries} queries in"
        f" {result.start_seconds:.1f} s until each had its first answer"
    )


if __name__ == "__main__":
    main()
