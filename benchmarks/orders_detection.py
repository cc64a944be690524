"""Order sensors: how fast a status change is seen (NOTIFY vs polling), and what a JSON check costs.

    python -m benchmarks.orders_detection [--trials 50] [--polls 1 5] [--checks 1000]

Detection latency: on a fresh database of this machine's PostgreSQL, ``trials`` triggers wait at
once, each for its own order; the orders are shipped at random moments spread over one poll
interval, and each latency runs from the UPDATE's commit to its trigger's event. With NOTIFY the
triggers poll every 300 s, so only a notification can end their wait in time. The seed's JSON
store is polled the same way, each change rewriting ``orders.json`` as the seed does.

CPU: process time of ``checks`` JSON-store checks (aiofiles read + parse + judge) of the seed's
three orders and of a 1,000-order file, beside a blocking ``json.load`` of the same file (what a
seed-style ``poke()`` does, which the triggerer must not do).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import tempfile
import time
from pathlib import Path

from benchmarks.files_setup import percentile, quiet_logs, table
from benchmarks.measure import detection
from sandbox.ecommerce_db import SEED_ORDERS, write_orders
from tests.support.postgres import PostgresDatabase, fresh_database
from triggers.cadence import Fixed
from triggers.checks import outcome_of
from triggers.orders import DbPollTrigger, JsonOrderCheck, SqlOrderCheck, notify_trigger_sql

CHANNEL = "order_status"
NOTIFY_POLL = 300.0
SETTLE = 2.0  # seconds for every trigger to make its first check (and the listener to connect)


async def create_orders(database: PostgresDatabase, count: int) -> None:
    connection = await database.connect()
    try:
        await connection.execute("CREATE TABLE orders (id integer PRIMARY KEY, status text)")
        await connection.executemany("INSERT INTO orders VALUES ($1, 'pending')", [(i,) for i in range(count)])
        await connection.execute(notify_trigger_sql("orders", CHANNEL))
    finally:
        await connection.close()


async def latencies(database: PostgresDatabase, trials: int, poll: float | None) -> list[float]:
    """Return one detection latency (seconds) per trial; ``poll`` None means NOTIFY."""
    await database.execute("UPDATE orders SET status = 'pending'")
    interval = NOTIFY_POLL if poll is None else poll
    triggers = [
        DbPollTrigger(
            check=SqlOrderCheck(
                order_ids=(i,),
                expected_status="shipped",
                conn_id="orders_bench",
                notify_channel=CHANNEL if poll is None else None,
            ).to_dict(),
            cadence=Fixed(interval).to_dict(),
        )
        for i in range(trials)
    ]
    connection = await database.connect()

    async def ship(order_id: int) -> None:
        await connection.execute("UPDATE orders SET status = 'shipped' WHERE id = $1", order_id)

    try:
        return await detection(triggers, ship, spread=1.0 if poll is None else poll, settle=SETTLE)
    finally:
        await connection.close()


async def json_latencies(db_path: Path, trials: int, poll: float) -> list[float]:
    """Return one detection latency per trial for the seed's JSON store, polled every ``poll`` seconds.

    Each change rewrites ``orders.json`` as the seed's ``update_order_status`` does.
    """
    orders = [{**SEED_ORDERS[0], "id": i, "status": "pending"} for i in range(trials)]
    write_orders(db_path, orders)
    triggers = [
        DbPollTrigger(
            check=JsonOrderCheck(order_ids=(i,), expected_status="shipped", db_path=str(db_path)).to_dict(),
            cadence=Fixed(poll).to_dict(),
        )
        for i in range(trials)
    ]

    async def ship(order_id: int) -> None:
        orders[order_id]["status"] = "shipped"
        await asyncio.to_thread(write_orders, db_path, orders)

    return await detection(triggers, ship, spread=poll, settle=SETTLE)


def json_check_cpu(db_path: Path, checks: int) -> tuple[float, float]:
    """Return CPU ms per ``checks`` checks: ours (aiofiles) and a blocking json.load, on ``db_path``."""
    check = JsonOrderCheck(order_ids=(1,), expected_status="shipped", db_path=str(db_path))

    async def ours() -> None:
        async with check.opened() as probe:
            for _ in range(checks):
                await outcome_of(probe, None)

    began = time.process_time()
    asyncio.run(ours())
    async_cpu = time.process_time() - began
    path = db_path / "orders.json"
    began = time.process_time()
    for _ in range(checks):
        with path.open() as handle:
            orders = json.load(handle)
        next(order for order in orders if order["id"] == 1)
    return async_cpu * 1000, (time.process_time() - began) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=50, help="concurrent waits per mode")
    parser.add_argument("--polls", type=float, nargs="+", default=[1.0, 5.0], help="poll intervals to compare")
    parser.add_argument("--checks", type=int, default=1000, help="JSON checks for the CPU measurement")
    args = parser.parse_args()
    quiet_logs()
    logging.getLogger("triggers.orders").setLevel(logging.WARNING)  # "Listening on ..." is not the result

    rows = []
    with fresh_database("ads_bench_orders") as database:
        os.environ["AIRFLOW_CONN_ORDERS_BENCH"] = database.airflow_uri
        asyncio.run(create_orders(database, args.trials))
        for poll in [None, *args.polls]:
            values = asyncio.run(latencies(database, args.trials, poll))
            mode = f"NOTIFY (poll {NOTIFY_POLL:g}s)" if poll is None else f"polling every {poll:g}s"
            p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
            rows.append([mode, args.trials, f"{p50 * 1000:.1f}", f"{p99 * 1000:.1f}", f"{max(values) * 1000:.1f}"])
    with tempfile.TemporaryDirectory(prefix="orders-json-") as tmp:
        for poll in args.polls:
            values = asyncio.run(json_latencies(Path(tmp), args.trials, poll))
            p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
            row = [f"JSON store, polling every {poll:g}s", args.trials, f"{p50 * 1000:.1f}", f"{p99 * 1000:.1f}"]
            rows.append([*row, f"{max(values) * 1000:.1f}"])
    print(f"Detection latency, UPDATE committed -> trigger event ({args.trials} concurrent waits per mode)")
    print(table(["mode", "waits", "p50 ms", "p99 ms", "max ms"], rows))

    rows = []
    with tempfile.TemporaryDirectory(prefix="orders-cpu-") as tmp:
        for label, orders in (
            ("seed (3 orders)", SEED_ORDERS),
            ("1,000 orders", [{**SEED_ORDERS[0], "id": i + 1} for i in range(1000)]),
        ):
            db_path = Path(tmp) / label.split()[0].strip(",")
            write_orders(db_path, orders)
            ours, blocking = json_check_cpu(db_path, args.checks)
            size = (db_path / "orders.json").stat().st_size
            rows.append(
                [
                    label,
                    f"{size / 1024:.1f}",
                    f"{ours / args.checks * 1000:.0f}",
                    f"{blocking / args.checks * 1000:.0f}",
                ]
            )
    print()
    print(f"CPU per 1,000 JSON-store checks ({args.checks} measured)")
    print(table(["orders.json", "KiB", "ours ms (aiofiles)", "blocking json.load ms"], rows))


if __name__ == "__main__":
    main()
