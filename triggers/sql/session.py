"""What one wait holds on a database: the resolved connection, a leased pool, a NOTIFY subscription.

Nothing here touches the network until the first query, so a database that is down at the start
of a wait is a transient "not yet" of that query, not a crash of the trigger. Pools and the
listener are leased from per-loop SharedPools and released when the wait ends (the exit stack
the caller passes in). Both the order sensor and the SQL query sensor read through a session,
held for a wait by :func:`session_probe`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Hashable
from typing import Any, TypeVar

from triggers.checks import Probe
from triggers.errors import ConfigurationError, PermanentError
from triggers.outcomes import Outcome
from triggers.shared_source import shared_probe
from triggers.sql import mysql, postgres, sqlite
from triggers.sql.listen import EVERY_NOTIFICATION, LISTENERS, NotifySubscription
from triggers.sql.placeholders import Bound, Dialect, Parameters, bind
from triggers.sql.targets import MysqlTarget, PostgresTarget, Rows, SqliteTarget, SqlTarget, resolve_sql_target

T = TypeVar("T")


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
        self._subscription: NotifySubscription | None = None
        self.wakeup = asyncio.Event() if channel else None

    @property
    def after(self) -> int:
        """Return the askings begun when a notification (or a LISTEN (re)connection) last concerned this wait."""
        return 0 if self._subscription is None else self._subscription.after

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
        if isinstance(target, PostgresTarget):
            await self._subscribe(target)  # before the query it precedes: a change committed after it is heard
        return self._pool

    async def listen(self) -> None:
        """Subscribe to the NOTIFY channel now, for a wait whose queries a shared source runs; raises like fetch.

        Leases no query pool: such a wait never queries through its own session.
        """
        target = await self.target()
        if isinstance(target, PostgresTarget):
            await self._subscribe(target)

    async def _subscribe(self, target: PostgresTarget) -> None:
        """LISTEN on the channel through the database's shared listener, once per wait (no channel: nothing)."""
        if self.wakeup is None or self._subscription is not None:
            return
        listener = await self._resources.enter_async_context(LISTENERS.lease(target))
        subscription = await listener.subscribe(str(self._channel), self._keys, self._id_column, self.wakeup)
        self._resources.callback(listener.unsubscribe, subscription)
        self._subscription = subscription

    async def fetch(
        self,
        sql: str,
        parameters: Parameters,
        *,
        read_only: bool = True,
        statement_timeout: float | None = None,
        data_problem: str = "a bound value does not fit its type",
    ) -> Rows:
        """Return the column names and rows of ``sql`` with ``parameters`` bound (see :mod:`placeholders`).

        Raises TransientError or PermanentError; a placeholder mismatch only this database's
        style reveals is permanent. ``data_problem`` says what a value PostgreSQL cannot take means.
        """
        target = await self.target()
        options: dict[str, Any] = {"read_only": read_only, "statement_timeout": statement_timeout}
        if isinstance(target, SqliteTarget):
            bound = _bound(sql, parameters, "sqlite")
            return await sqlite.fetch_rows(target, bound.sql, bound.arguments or (), **options)
        pool = await self.pool(target)
        if isinstance(target, PostgresTarget):
            bound = _bound(sql, parameters, "postgres")
            positional = list(bound.arguments or ())
            return await postgres.fetch_rows(pool, target, bound.sql, positional, data_problem=data_problem, **options)
        bound = _bound(sql, parameters, "mysql")
        arguments = None if bound.arguments is None else list(bound.arguments)  # a list: %s only
        return await mysql.fetch_rows(pool, target, bound.sql, arguments, **options)


@contextlib.asynccontextmanager
async def session_probe(
    session: Callable[[contextlib.AsyncExitStack, bool], DatabaseSession],
    read: Callable[[DatabaseSession, frozenset[Hashable]], Awaitable[T]],
    judge: Callable[[T], Awaitable[Outcome]],
    *,
    shared_key: str | None,
    interest: frozenset[Hashable] = frozenset(),
) -> AsyncIterator[Probe]:
    """Yield a probe that judges what ``read`` finds about ``interest`` through ``session(stack, listen)``.

    Without ``shared_key`` the wait reads through its own session. With it, one read per look
    (about every wait's interests) serves every wait sharing the key, through the source's own
    session without a channel; each wait keeps its own NOTIFY subscription, subscribed in its
    first check, not on entry: a database that is down is then a "not yet" of that check. A look
    takes an answer as fresh as the probe's ``fresh_for`` as a wait without a channel does; after a
    notification, only an answer asked after it.
    """
    async with contextlib.AsyncExitStack() as resources:
        own = session(resources, True)
        if shared_key is None:

            async def look() -> Outcome:
                return await judge(await read(own, interest))

            yield Probe(check=look, wakeup=own.wakeup)
            return
        reading: list[DatabaseSession] = []

        async def ask(source_resources: contextlib.AsyncExitStack, interests: frozenset[Hashable]) -> T:
            if not reading:  # the source's own session: held on the source's stack
                reading.append(session(source_resources, False))
            return await read(reading[0], interests)

        async with shared_probe(shared_key, ask, judge, interest=interest, wakeup=own.wakeup) as shared:
            if own.wakeup is None:
                yield shared
                return
            listened = False

            async def check() -> Outcome:
                nonlocal listened
                if not listened:
                    await own.listen()
                    listened = True
                # the poll loop sets fresh_for on this probe, the one it holds: the polling fallback
                # takes a fresh answer as a wait without a channel does; after a notification a
                # look takes only an answer asked after it (it asks, or joins such an asking)
                shared.fresh_for, shared.clock, shared.after = probe.fresh_for, probe.clock, own.after
                return await shared.check()

            probe = Probe(check=check, wakeup=shared.wakeup)
            yield probe


def _bound(sql: str, parameters: Parameters, dialect: Dialect) -> Bound:
    try:
        return bind(sql, parameters, dialect)
    except ConfigurationError as error:
        raise PermanentError(f"{error.argument}: {error.problem}") from error
