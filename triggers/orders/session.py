"""What one wait on a SQL table holds: the resolved connection, a leased pool, a NOTIFY subscription.

Nothing here touches the network until the first check, so a database that is down at the start
of a wait is a transient "not yet" of that check, not a crash of the trigger. The pool and the
listener are leased from per-loop SharedPools and released when the wait ends.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from triggers.errors import PermanentError
from triggers.orders.listen import LISTENERS
from triggers.orders.postgres_store import QUERY_POOLS, fetch_postgres
from triggers.orders.records import OrderId, OrderRow, order_key
from triggers.orders.sql import OrderQuery, PostgresTarget, SqliteTarget, Target, resolve_target
from triggers.orders.sqlite_store import fetch_sqlite


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
        self._resources = resources
        self._target: Target | None = None
        self._pool: asyncpg.Pool | None = None
        self._subscribed = False
        self.wakeup = asyncio.Event() if source.notify_channel else None

    async def fetch(self) -> dict[str, OrderRow]:
        """Return the watched orders found; raises TransientError or PermanentError."""
        source = self._source
        if self._target is None:
            self._target = await resolve_target(source.conn_id)
        target = self._target
        if isinstance(target, SqliteTarget):
            if source.notify_channel is not None:
                raise PermanentError(f"notify_channel needs a postgres connection; {source.conn_id!r} is sqlite")
            return await fetch_sqlite(target, source.query, source.order_ids)
        if self._pool is None:
            self._pool = await self._resources.enter_async_context(QUERY_POOLS.lease(target))
        if self.wakeup is not None and not self._subscribed:
            await self._subscribe(target, self.wakeup)
        return await fetch_postgres(self._pool, target, source.query, source.order_ids)

    async def _subscribe(self, target: PostgresTarget, wakeup: asyncio.Event) -> None:
        # Subscribed before the query it precedes: a change committed after that query is heard.
        listener = await self._resources.enter_async_context(LISTENERS.lease(target))
        keys = frozenset(order_key(order_id) for order_id in self._source.order_ids)
        channel = str(self._source.notify_channel)
        subscription = await listener.subscribe(channel, keys, self._source.query.id_column, wakeup)
        self._resources.callback(listener.unsubscribe, subscription)
        self._subscribed = True
