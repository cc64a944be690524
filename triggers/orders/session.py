"""What one wait on an orders table holds: a database session (:mod:`triggers.sql.session`) and its query."""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from triggers.orders.postgres_store import fetch_postgres
from triggers.orders.records import OrderId, OrderRow, order_key
from triggers.orders.sql import OrderQuery
from triggers.orders.sqlite_store import fetch_sqlite
from triggers.sql.session import DatabaseSession
from triggers.sql.targets import POSTGRES_TYPES, SQLITE_TYPES, SqliteTarget

ORDER_TYPES = SQLITE_TYPES | POSTGRES_TYPES
#: Order ids per SQLite query: older SQLite builds take at most 999 variables in a statement.
SQLITE_CHUNK = 900


@dataclass(frozen=True)
class TableSource:
    """Which table to read through which connection, and the channel that announces changes."""

    conn_id: str
    query: OrderQuery
    order_ids: Sequence[OrderId]
    notify_channel: str | None = None


class TableSession:
    """Reads the watched orders for the length of one wait; ``wakeup`` is set on a NOTIFY."""

    def __init__(self, source: TableSource, resources: contextlib.AsyncExitStack) -> None:
        self._source = source
        keys = frozenset(order_key(order_id) for order_id in source.order_ids)
        self._database = DatabaseSession(
            source.conn_id,
            resources,
            accepted=ORDER_TYPES,
            channel=source.notify_channel,
            keys=keys,
            id_column=source.query.id_column,
            channel_argument="notify_channel",
        )
        self.wakeup = self._database.wakeup

    async def fetch(self, order_ids: Collection[OrderId] | None = None) -> dict[str, OrderRow]:
        """Return the watched orders found (or those of ``order_ids``); raises TransientError or PermanentError."""
        source = self._source
        wanted = sorted(source.order_ids if order_ids is None else order_ids, key=order_key)
        target = await self._database.target()
        if isinstance(target, SqliteTarget):
            found: dict[str, OrderRow] = {}
            for start in range(0, len(wanted), SQLITE_CHUNK):  # a statement takes only so many variables
                found.update(await fetch_sqlite(target, source.query, wanted[start : start + SQLITE_CHUNK]))
            return found
        pool = await self._database.pool(target)
        return await fetch_postgres(pool, target, source.query, wanted)  # type: ignore[arg-type]  # only postgres is accepted

    async def listen(self) -> None:
        """Subscribe to the NOTIFY channel now (a wait whose query someone else runs); raises like fetch."""
        await self._database.listen()
