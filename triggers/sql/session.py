"""What one wait holds on a database: the resolved connection, a leased pool, a NOTIFY subscription.

Nothing here touches the network until the first query, so a database that is down at the start
of a wait is a transient "not yet" of that query, not a crash of the trigger. Pools and the
listener are leased from per-loop SharedPools and released when the wait ends (the exit stack
the caller passes in). Both the order sensor and the SQL query sensor read through a session.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from triggers.checks import Probe
from triggers.errors import ConfigurationError, PermanentError
from triggers.outcomes import Outcome
from triggers.sql import mysql, postgres, sqlite
from triggers.sql.listen import EVERY_NOTIFICATION, LISTENERS
from triggers.sql.placeholders import Bound, Dialect, Parameters, bind
from triggers.sql.targets import MysqlTarget, PostgresTarget, SqliteTarget, SqlTarget, resolve_sql_target

Rows = tuple[list[str], list[tuple[Any, ...]]]


class DatabaseSession:
    """Reads one database for the length of a wait; ``wakeup`` is set on a NOTIFY on ``channel``.

    :param accepted: the connection types the caller reads (others fail, naming the type).
    :param database: overrides the connection's database (schema).
    :param channel: a PostgreSQL NOTIFY channel; ``keys`` (in payloads' ``id_column``) say which
        notifications wake the wait, EVERY_NOTIFICATION (the default): all of them.
    :param channel_argument: the sensor argument that named the channel, for messages.
    """

    def __init__(
        self,
        conn_id: str,
        resources: contextlib.AsyncExitStack,
        *,
        accepted: Collection[str],
        database: str | None = None,
        channel: str | None = None,
        keys: Collection[str] | None = EVERY_NOTIFICATION,
        id_column: str = "id",
        channel_argument: str = "listen_channel",
    ) -> None:
        self.conn_id = conn_id
        self._resources = resources
        self._accepted = accepted
        self._database = database
        self._channel = channel
        self._keys = keys
        self._id_column = id_column
        self._channel_argument = channel_argument
        self._target: SqlTarget | None = None
        self._pool: Any = None
        self._subscribed = False
        self.wakeup = asyncio.Event() if channel else None

    async def target(self) -> SqlTarget:
        """Return where the connection points (resolved once per wait); raises PermanentError."""
        if self._target is None:
            target = await resolve_sql_target(self.conn_id, self._accepted, self._database)
            if self._channel is not None and not isinstance(target, PostgresTarget):
                raise PermanentError(
                    f"{self._channel_argument} needs a postgres connection; {self.conn_id!r} is {target.describe()}"
                )
            self._target = target
        return self._target

    async def pool(self, target: PostgresTarget | MysqlTarget) -> Any:
        """Return the shared pool for ``target``, leased for this wait (and LISTENing first, if asked)."""
        if self._pool is None:
            if isinstance(target, PostgresTarget):
                self._pool = await self._resources.enter_async_context(postgres.QUERY_POOLS.lease(target))
            else:
                self._pool = await self._resources.enter_async_context(mysql.QUERY_POOLS.lease(target))
        if isinstance(target, PostgresTarget) and self.wakeup is not None and not self._subscribed:
            # Subscribed before the query it precedes: a change committed after that query is heard.
            listener = await self._resources.enter_async_context(LISTENERS.lease(target))
            subscription = await listener.subscribe(str(self._channel), self._keys, self._id_column, self.wakeup)
            self._resources.callback(listener.unsubscribe, subscription)
            self._subscribed = True
        return self._pool

    async def listen(self) -> None:
        """Subscribe to the NOTIFY channel now, for a wait whose queries a shared source runs; raises like fetch."""
        target = await self.target()
        if self.wakeup is not None and isinstance(target, PostgresTarget):
            await self.pool(target)  # subscribes before it returns

    async def fetch(
        self, sql: str, parameters: Parameters, *, read_only: bool = True, statement_timeout: float | None = None
    ) -> Rows:
        """Return the column names and rows of ``sql`` with ``parameters`` bound (see :mod:`placeholders`).

        Raises TransientError or PermanentError; a placeholder mismatch only this database's
        style reveals is permanent.
        """
        target = await self.target()
        options: dict[str, Any] = {"read_only": read_only, "statement_timeout": statement_timeout}
        if isinstance(target, SqliteTarget):
            bound = _bound(sql, parameters, "sqlite")
            return await sqlite.fetch_rows(target, bound.sql, bound.arguments or (), **options)
        pool = await self.pool(target)
        if isinstance(target, PostgresTarget):
            bound = _bound(sql, parameters, "postgres")
            return await postgres.fetch_rows(pool, target, bound.sql, list(bound.arguments or ()), **options)
        bound = _bound(sql, parameters, "mysql")
        arguments = None if bound.arguments is None else list(bound.arguments)  # a list: %s only
        return await mysql.fetch_rows(pool, target, bound.sql, arguments, **options)


def listening_first(probe: Probe, listen: Callable[[], Awaitable[None]] | None) -> Probe:
    """Return ``probe`` whose first check calls ``listen`` (a NOTIFY subscription) before it looks.

    For a wait whose queries a shared source runs. In the first check, not on entry: a database
    that is down is then a "not yet" of that check.
    """
    if listen is None:
        return probe
    listened = False

    async def check() -> Outcome:
        nonlocal listened
        if not listened:
            await listen()
            listened = True
        return await probe.check()

    return Probe(check=check, wakeup=probe.wakeup)


def _bound(sql: str, parameters: Parameters, dialect: Dialect) -> Bound:
    try:
        return bind(sql, parameters, dialect)
    except ConfigurationError as error:
        raise PermanentError(f"{error.argument}: {error.problem}") from error
