"""Orders in a PostgreSQL table, read through one small asyncpg pool per database per event loop.

Every wait on the same database leases the same pool (``QUERY_POOLS``), which opens connections
only when a query needs one and replaces connections the server dropped. Errors are classified
by asyncpg's exception types: refused or dropped connections, a server shutting down or starting
up, "too many connections" and a confused client protocol are transient (and the connection is
dropped); rejected credentials, an unknown database, table or column, and ids that do not fit
the id column's type are permanent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

import asyncpg
import asyncpg.exceptions as pg

from triggers.errors import PermanentError, TransientError
from triggers.orders.records import OrderId, OrderRow
from triggers.orders.sql import OrderQuery, PostgresTarget, rows_to_orders
from triggers.shared import SharedPool

QUERY_APPLICATION = "deferrable-sensors-orders"
CONNECT_TIMEOUT_SECONDS = 10.0
COMMAND_TIMEOUT_SECONDS = 30.0
POOL_MAX_SIZE = 4
# Idle pooled connections are closed after this long, so a quiet triggerer holds none.
POOL_IDLE_SECONDS = 60.0

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable
    asyncio.TimeoutError,
    pg.PostgresConnectionError,  # 08xxx, and the connection dropping mid-query
    pg.OperatorInterventionError,  # 57xxx: admin shutdown, terminated backend, starting up
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


def classify(error: BaseException, target: PostgresTarget) -> Exception:
    """Return the TransientError or PermanentError that ``error`` means (for ``raise ... from error``)."""
    where = target.describe()
    if isinstance(error, TRANSIENT_ERRORS):
        return TransientError(f"{where} is not reachable: {type(error).__name__}: {error}")
    if isinstance(error, CREDENTIAL_ERRORS):
        return PermanentError(f"{where} refused the connection's credentials or database: {error}")
    if isinstance(error, pg.DataError):
        return PermanentError(f"{where}: the order ids do not fit the id column's type: {error}")
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


async def fetch_postgres(
    pool: asyncpg.Pool, target: PostgresTarget, query: OrderQuery, order_ids: Sequence[OrderId]
) -> dict[str, OrderRow]:
    """Return the watched orders found through ``pool``; raises TransientError or PermanentError."""
    try:
        async with pool.acquire() as connection:
            try:
                records = await connection.fetch(query.postgres(), list(order_ids))
            except TRANSIENT_ERRORS:
                # A connection in doubt goes back closed, so the pool replaces it (asyncpg may
                # already have detached it from the pool: then there is nothing to close).
                with contextlib.suppress(pg.InterfaceError):
                    connection.terminate()
                raise
    except asyncio.CancelledError:
        raise
    except Exception as error:
        raise classify(error, target) from error
    if not records:
        return {}
    return rows_to_orders(list(records[0].keys()), [tuple(record.values()) for record in records])
