"""PostgreSQL through one small asyncpg pool per database per event loop.

Every wait on the same database leases the same pool (``QUERY_POOLS``), which opens connections
only when a query needs one and replaces connections the server dropped. Errors are classified
by asyncpg's exception types: refused or dropped connections, a server shutting down or starting
up, "too many connections", a statement timeout and a confused client protocol are transient
(and the connection is dropped); rejected credentials, an unknown database, a syntax error, an
unknown table or column, and values that do not fit their column's type are permanent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

import asyncpg
import asyncpg.exceptions as pg

from triggers.errors import PermanentError, TransientError
from triggers.shared import SharedPool
from triggers.sql.targets import PostgresTarget, Rows
from triggers.sql.values import coerce_arguments

QUERY_APPLICATION = "deferrable-sensors-query"
CONNECT_TIMEOUT_SECONDS = 10.0
COMMAND_TIMEOUT_SECONDS = 30.0
POOL_MAX_SIZE = 4
# Idle pooled connections are closed after this long, so a quiet triggerer holds none.
POOL_IDLE_SECONDS = 60.0

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable
    TimeoutError,
    pg.PostgresConnectionError,  # 08xxx, and the connection dropping mid-query
    pg.OperatorInterventionError,  # 57xxx: admin shutdown, terminated backend, statement timeout
    pg.InsufficientResourcesError,  # 53xxx: too many connections, out of memory
    # asyncpg's protocol left in a bad state, seen when a backend is terminated while its
    # connection is being handed out: the connection is dropped and the next check gets a new one.
    pg.InternalClientError,
)
CREDENTIAL_ERRORS: tuple[type[BaseException], ...] = (
    pg.InvalidAuthorizationSpecificationError,  # 28xxx, with InvalidPasswordError
    pg.InvalidCatalogNameError,  # 3D000: no such database
)


def connect_kwargs(target: PostgresTarget, application: str) -> dict[str, Any]:
    """Return asyncpg.connect keyword arguments for ``target``, naming the connection ``application``."""
    kwargs: dict[str, Any] = {
        "host": target.host,
        "port": target.port,
        "user": target.user,
        "password": target.password,
        "database": target.database,
        "timeout": CONNECT_TIMEOUT_SECONDS,
        "server_settings": {"application_name": application},
    }
    if target.ssl is not None:
        kwargs["ssl"] = target.ssl
    return kwargs


def classify(error: BaseException, target: PostgresTarget, data_problem: str) -> Exception:
    """Return the TransientError or PermanentError that ``error`` means (for ``raise ... from error``).

    ``data_problem`` says what a DataError (a value that does not fit its type) means to the caller.
    """
    where = target.describe()
    if isinstance(error, TRANSIENT_ERRORS):
        return TransientError(f"{where} is not reachable: {type(error).__name__}: {error}")
    if isinstance(error, CREDENTIAL_ERRORS):
        return PermanentError(f"{where} refused the connection's credentials or database: {error}")
    if isinstance(error, pg.DataError):
        return PermanentError(f"{where}: {data_problem}: {error}")
    return PermanentError(f"{where}: {type(error).__name__}: {error}")


async def _open_pool(target: PostgresTarget) -> asyncpg.Pool:
    # min_size=0: creating the pool connects nothing, so a server that is down surfaces as a
    # transient error of the first query rather than of opening the pool.
    pool: asyncpg.Pool = await asyncpg.create_pool(
        min_size=0,
        max_size=POOL_MAX_SIZE,
        max_inactive_connection_lifetime=POOL_IDLE_SECONDS,
        command_timeout=COMMAND_TIMEOUT_SECONDS,
        **connect_kwargs(target, QUERY_APPLICATION),
    )
    return pool


async def _close_pool(pool: asyncpg.Pool) -> None:
    try:
        await asyncio.wait_for(pool.close(), CONNECT_TIMEOUT_SECONDS)
    except (TimeoutError, OSError, pg.PostgresError):
        pool.terminate()


#: One query pool per database per event loop, shared by every wait on it.
QUERY_POOLS: SharedPool[PostgresTarget, asyncpg.Pool] = SharedPool(_open_pool, _close_pool)


async def _run(
    connection: Any, sql: str, arguments: Sequence[Any], read_only: bool, statement_timeout: float | None
) -> Rows:
    transaction = connection.transaction(readonly=read_only)
    await transaction.start()
    try:
        if statement_timeout is not None:
            # A whole number of milliseconds we computed: nothing of the user's is formatted here.
            await connection.execute(f"SET LOCAL statement_timeout = {max(1, int(statement_timeout * 1000))}")
        statement = await connection.prepare(sql)
        values = coerce_arguments(arguments, [parameter.name for parameter in statement.get_parameters()])
        records = await statement.fetch(*values)
        names = [attribute.name for attribute in statement.get_attributes()]
    except BaseException:
        # Not ``async with``: its rollback on a connection that died would hide why it died.
        with contextlib.suppress(Exception):  # a dead connection may be detached from the pool too
            if not connection.is_closed():
                await transaction.rollback()
        raise
    await (transaction.rollback() if read_only else transaction.commit())
    return names, [tuple(record.values()) for record in records]


async def fetch_rows(
    pool: asyncpg.Pool,
    target: PostgresTarget,
    sql: str,
    arguments: Sequence[Any] = (),
    *,
    read_only: bool = True,
    statement_timeout: float | None = None,
    data_problem: str = "a bound value does not fit its type",
) -> Rows:
    """Return the column names and rows of ``sql`` (``$n`` placeholders bound to ``arguments``).

    Runs in a READ ONLY transaction unless ``read_only`` is False, under ``statement_timeout``
    seconds when given. Raises TransientError or PermanentError.
    """
    try:
        async with pool.acquire() as connection:
            try:
                return await _run(connection, sql, arguments, read_only, statement_timeout)
            except TRANSIENT_ERRORS:
                # A connection in doubt goes back closed, so the pool replaces it (asyncpg may
                # already have detached it from the pool: then there is nothing to close).
                with contextlib.suppress(pg.InterfaceError):
                    connection.terminate()
                raise
    except asyncio.CancelledError:
        raise
    except Exception as error:
        raise classify(error, target, data_problem) from error
