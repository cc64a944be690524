"""MySQL and MariaDB through one small aiomysql pool per database per event loop.

Queries run in ``START TRANSACTION READ ONLY`` unless the wait allows writes, under a statement
timeout (MariaDB ``max_statement_time``, MySQL ``max_execution_time``). Errors are classified by
the server's or client's error number, never by message text: lost, refused, killed or timed-out
connections and statements, deadlocks and "too many connections" are transient (the connection
is closed, so the pool replaces it); rejected credentials, an unknown database, a syntax error,
an unknown table or column are permanent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import aiomysql
import pymysql

from triggers.errors import PermanentError, TransientError
from triggers.shared import SharedPool
from triggers.sql.targets import MysqlTarget, Rows

CONNECT_TIMEOUT_SECONDS = 10
POOL_MAX_SIZE = 4
# Pooled connections older than this are replaced when next handed out.
POOL_RECYCLE_SECONDS = 300

#: Error numbers that waiting can cure (client 2xxx, server 1xxx; MySQL and MariaDB).
TRANSIENT_CODES = frozenset(
    {
        1040,  # too many connections
        1053,  # server shutdown in progress
        1205,  # lock wait timeout
        1213,  # deadlock
        1317,  # query execution was interrupted
        1927,  # MariaDB: connection was killed
        1969,  # MariaDB: max_statement_time exceeded
        3024,  # MySQL: max_execution_time exceeded
        2002,  # cannot connect through the socket
        2003,  # cannot connect to the server
        2006,  # server has gone away
        2013,  # lost connection during query
        2055,  # lost connection (system error)
    }
)
#: Error numbers for credentials or a database that do not work.
CREDENTIAL_CODES = frozenset({1044, 1045, 1049, 1698})


def classify(error: BaseException, target: MysqlTarget) -> Exception:
    """Return the TransientError or PermanentError that ``error`` means (for ``raise ... from error``)."""
    where = target.describe()
    code = error.args[0] if error.args and isinstance(error.args[0], int) else None
    if isinstance(error, (OSError, TimeoutError, pymysql.err.InterfaceError)) or (
        isinstance(error, pymysql.err.MySQLError) and code in TRANSIENT_CODES
    ):
        return TransientError(f"{where} is not reachable: {type(error).__name__}: {error}")
    if code in CREDENTIAL_CODES:
        return PermanentError(f"{where} refused the connection's credentials or database: {error}")
    return PermanentError(f"{where}: {type(error).__name__}: {error}")


async def _open_pool(target: MysqlTarget) -> aiomysql.Pool:
    # minsize=0: creating the pool connects nothing, so a server that is down surfaces as a
    # transient error of the first query rather than of opening the pool.
    return await aiomysql.create_pool(
        minsize=0,
        maxsize=POOL_MAX_SIZE,
        pool_recycle=POOL_RECYCLE_SECONDS,
        host=target.host,
        port=target.port,
        user=target.user or "",
        password=target.password or "",
        db=target.database,
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        autocommit=False,
    )


async def _close_pool(pool: aiomysql.Pool) -> None:
    pool.close()
    try:
        await asyncio.wait_for(pool.wait_closed(), CONNECT_TIMEOUT_SECONDS)
    except (TimeoutError, OSError, pymysql.err.MySQLError):
        pool.terminate()


#: One query pool per database per event loop, shared by every wait on it.
QUERY_POOLS: SharedPool[MysqlTarget, aiomysql.Pool] = SharedPool(_open_pool, _close_pool)


async def _run(
    connection: Any, sql: str, arguments: Sequence[Any] | None, read_only: bool, statement_timeout: float | None
) -> Rows:
    async with connection.cursor() as cursor:
        # Session variables, set on every use: a pooled connection keeps what the last wait set.
        if "mariadb" in connection.get_server_info().lower():
            await cursor.execute("SET SESSION max_statement_time = %s", (statement_timeout or 0,))
        else:
            await cursor.execute("SET SESSION max_execution_time = %s", (int((statement_timeout or 0) * 1000),))
        await cursor.execute("START TRANSACTION READ ONLY" if read_only else "START TRANSACTION")
        # On an error the caller closes the connection, which ends the transaction with it.
        await cursor.execute(sql, arguments)
        rows = await cursor.fetchall()
        names = [column[0] for column in cursor.description or ()]
        if read_only:
            await connection.rollback()
        else:
            await connection.commit()
    return names, [tuple(row) for row in rows]


async def fetch_rows(
    pool: aiomysql.Pool,
    target: MysqlTarget,
    sql: str,
    arguments: Sequence[Any] | None = None,
    *,
    read_only: bool = True,
    statement_timeout: float | None = None,
) -> Rows:
    """Return the column names and rows of ``sql`` (``%s`` bound to ``arguments``).

    Raises TransientError or PermanentError.
    """
    try:
        async with pool.acquire() as connection:
            try:
                return await _run(connection, sql, arguments, read_only, statement_timeout)
            except BaseException:
                # A connection in doubt goes back closed, so the pool replaces it.
                connection.close()
                raise
    except asyncio.CancelledError:
        raise
    except Exception as error:
        raise classify(error, target) from error
