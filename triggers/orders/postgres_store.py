"""Orders in a PostgreSQL table, read through the shared query pool (:mod:`triggers.sql.postgres`)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from triggers.orders.records import OrderId, OrderRow
from triggers.orders.sql import OrderQuery, rows_to_orders
from triggers.sql.postgres import QUERY_APPLICATION, fetch_rows
from triggers.sql.targets import PostgresTarget

__all__ = ["QUERY_APPLICATION", "fetch_postgres"]


async def fetch_postgres(
    pool: asyncpg.Pool, target: PostgresTarget, query: OrderQuery, order_ids: Sequence[OrderId]
) -> dict[str, OrderRow]:
    """Return the watched orders found through ``pool``; raises TransientError or PermanentError."""
    names, rows = await fetch_rows(
        pool, target, query.postgres(), [list(order_ids)], data_problem="the order ids do not fit the id column's type"
    )
    return rows_to_orders(names, rows)
