"""SQLite files read with aiosqlite (sqlite3 in a thread: the loop never blocks).

The file is opened read-only by default (``mode=ro``), so a missing file is "not yet" instead of
a new empty database, and nothing can write through the connection. A statement timeout is
enforced in SQLite itself: a progress handler interrupts the statement past its deadline, so no
query keeps a thread busy after its attempt gave up. Errors are classified by SQLite's result
code, never by message text: a busy, locked, interrupted or not yet openable database is
transient; anything else (a syntax error, no such table or column) is permanent.
"""

from __future__ import annotations

import sqlite3
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

import aiosqlite

from triggers.errors import PermanentError, TransientError
from triggers.sql.targets import Rows, SqliteTarget

#: Primary result codes (sqlite3.h) that waiting can cure: BUSY, LOCKED, INTERRUPT, IOERR, CANTOPEN, PROTOCOL.
TRANSIENT_CODES = frozenset({5, 6, 9, 10, 14, 15})
# How long one statement waits on a writer's lock before SQLite gives up with SQLITE_BUSY.
BUSY_TIMEOUT_SECONDS = 5.0
# SQLite virtual machine steps between two looks at the clock.
PROGRESS_STEPS = 1000


async def fetch_rows(
    target: SqliteTarget,
    sql: str,
    arguments: Sequence[Any] | Mapping[str, Any] = (),
    *,
    read_only: bool = True,
    statement_timeout: float | None = None,
) -> Rows:
    """Return the column names and rows of ``sql`` (``?`` or ``:name`` bound to ``arguments``).

    Raises TransientError when the file cannot be opened, is locked or the statement ran past
    ``statement_timeout`` seconds; PermanentError for any other SQLite error.
    """
    try:
        # mode ro or rw: the file is never created
        uri = f"file:{urllib.parse.quote(target.path)}?mode={'ro' if read_only else 'rw'}"
        async with aiosqlite.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS) as db:
            if statement_timeout is not None:
                deadline = time.monotonic() + statement_timeout
                # Runs in aiosqlite's thread; a non-zero answer interrupts the statement (SQLITE_INTERRUPT).
                await db.set_progress_handler(lambda: int(time.monotonic() > deadline), PROGRESS_STEPS)
            cursor = await db.execute(sql, arguments)
            rows = await cursor.fetchall()
            names = [column[0] for column in cursor.description or ()]
            if not read_only:
                await db.commit()
    except sqlite3.Error as error:
        code = getattr(error, "sqlite_errorcode", None)  # may be an extended code
        # Errors the sqlite3 module raises itself carry no result code: an OperationalError is then the
        # best sign of "not yet".
        if (code & 0xFF in TRANSIENT_CODES) if code is not None else isinstance(error, sqlite3.OperationalError):
            raise TransientError(f"{target.describe()} cannot be read yet: {error}") from error
        raise PermanentError(f"{target.describe()}: {type(error).__name__}: {error}") from error
    return names, [tuple(row) for row in rows]
