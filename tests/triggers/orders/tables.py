"""Shared setup for the SQL order tests: checks, the seed's orders as a PostgreSQL table with its NOTIFY trigger."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.support.postgres import PostgresDatabase
from triggers.checks import check_once
from triggers.orders import SqlOrderCheck, notify_trigger_sql
from triggers.outcomes import Outcome

CHANNEL = "order_status"

SCHEMA = """
CREATE TABLE orders (
    id integer PRIMARY KEY,
    customer_id integer,
    status text,
    total numeric(10, 2),
    created_at timestamptz DEFAULT '2024-01-01T10:00:00Z'
);
INSERT INTO orders (id, customer_id, status, total) VALUES
    (1, 101, 'pending', 299.99), (2, 102, 'processing', 149.50), (3, 103, 'confirmed', 89.99);
"""


def sql_check(connection: str, *order_ids: int | str, **overrides: Any) -> SqlOrderCheck:
    """Return a check for ``order_ids`` (order 1 by default) reaching 'shipped' through ``connection``."""
    kwargs: dict[str, Any] = {"order_ids": order_ids or (1,), "expected_status": "shipped", "conn_id": connection}
    kwargs.update(overrides)
    return SqlOrderCheck(**kwargs)


async def look(check: SqlOrderCheck) -> Outcome:
    """Check once, as a poke does."""
    return await check_once(check, timeout=15.0)


async def create_orders(database: PostgresDatabase, *, notify: bool = False) -> None:
    """Create the seed's orders as a table, with the NOTIFY trigger from the docs if ``notify``."""
    connection = await database.connect()
    try:
        await connection.execute(SCHEMA)
        if notify:
            await connection.execute(notify_trigger_sql("orders", CHANNEL))
    finally:
        await connection.close()


async def set_status(database: PostgresDatabase, order_id: int, status: str) -> None:
    await database.execute("UPDATE orders SET status = $1 WHERE id = $2", status, order_id)


async def backends(database: PostgresDatabase, application: str) -> list[int]:
    """Return the pids of ``application``'s connections to ``database`` (not counting our own)."""
    connection = await database.connect()
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 AND pid <> pg_backend_pid()",
            database.name,
            application,
        )
    finally:
        await connection.close()
    return [row["pid"] for row in rows]


async def wait_for_backends(
    database: PostgresDatabase, application: str, *, count: int = 1, other_than: list[int] = (), timeout: float = 15.0
) -> list[int]:
    """Poll until ``count`` connections of ``application`` (none of ``other_than``) exist; return their pids."""
    deadline = time.monotonic() + timeout
    while True:
        pids = [pid for pid in await backends(database, application) if pid not in other_than]
        if len(pids) == count:
            return pids
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {count} {application} connections, found {pids}")
        await asyncio.sleep(0.05)


async def terminate_and_await_replacement(database: PostgresDatabase, application: str) -> None:
    """Terminate ``application``'s connection with pg_terminate_backend; return once a new one is up."""
    first = await wait_for_backends(database, application)
    for pid in first:
        await database.execute("SELECT pg_terminate_backend($1)", pid)
    await wait_for_backends(database, application, other_than=first)
