"""Orders in a SQLite file, read with aiosqlite (sqlite3 in a thread: the loop never blocks).

The file is opened read-only, so a missing file is "not yet" instead of a new empty database.
Errors are classified by SQLite's result code, never by message text: a busy, locked or not yet
openable database is transient; anything else (no such table or column) is permanent.
"""

from __future__ import annotations

import sqlite3
import urllib.parse
from collections.abc import Sequence

import aiosqlite

from triggers.errors import PermanentError, TransientError
from triggers.orders.records import OrderId, OrderRow
from triggers.orders.sql import OrderQuery, SqliteTarget, rows_to_orders

# Primary result codes (sqlite3.h) that waiting can cure.
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_IOERR = 10
SQLITE_CANTOPEN = 14
SQLITE_PROTOCOL = 15
TRANSIENT_CODES = frozenset({SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_PROTOCOL})
# How long one statement waits on a writer's lock before SQLite gives up with SQLITE_BUSY.
BUSY_TIMEOUT_SECONDS = 5.0


def read_only_uri(path: str) -> str:
    """Return a URI that opens ``path`` read-only and never creates it."""
    return f"file:{urllib.parse.quote(path)}?mode=ro"


async def fetch_sqlite(target: SqliteTarget, query: OrderQuery, order_ids: Sequence[OrderId]) -> dict[str, OrderRow]:
    """Return the watched orders found in ``target``.

    Raises TransientError when the file cannot be opened or is locked, PermanentError for any
    other SQLite error.
    """
    try:
        async with aiosqlite.connect(read_only_uri(target.path), uri=True, timeout=BUSY_TIMEOUT_SECONDS) as db:
            cursor = await db.execute(query.sqlite(len(order_ids)), list(order_ids))
            rows = await cursor.fetchall()
            names = [column[0] for column in cursor.description]
    except sqlite3.Error as error:
        code = getattr(error, "sqlite_errorcode", None)  # may be an extended code
        # Errors the sqlite3 module raises itself carry no result code: an OperationalError is then the
        # best sign of "not yet".
        if (code & 0xFF in TRANSIENT_CODES) if code is not None else isinstance(error, sqlite3.OperationalError):
            raise TransientError(f"{target.describe()} cannot be read yet: {error}") from error
        raise PermanentError(f"{target.describe()}: {type(error).__name__}: {error}") from error
    return rows_to_orders(names, rows)
