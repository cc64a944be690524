"""Orders in a SQLite file, read through :mod:`triggers.sql.sqlite` (read-only, classified errors)."""

from __future__ import annotations

from collections.abc import Sequence

from triggers.orders.records import OrderId, OrderRow
from triggers.orders.sql import OrderQuery, rows_to_orders
from triggers.sql.sqlite import fetch_rows
from triggers.sql.targets import SqliteTarget


async def fetch_sqlite(target: SqliteTarget, query: OrderQuery, order_ids: Sequence[OrderId]) -> dict[str, OrderRow]:
    """Return the watched orders found in ``target``.

    Raises TransientError when the file cannot be opened or is locked, PermanentError for any
    other SQLite error.
    """
    names, rows = await fetch_rows(target, query.sqlite(len(order_ids)), list(order_ids))
    return rows_to_orders(names, rows)
