"""SqlQueryCheck: run a query and judge its first row the way common-sql's SqlSensor does.

No rows: "not yet" (failed with ``fail_on_empty``). Otherwise ``selector(row)`` (default: the
first cell) is the condition: ``failure(condition)`` true fails the wait at once, then
``success(condition)`` decides, or without ``success`` the condition's truth. The met value
(the XCom) is the condition as JSON. ``success``, ``failure`` and ``selector`` travel as dotted
paths to module-level functions, imported and called in a worker thread (they may block).

The query runs through a :class:`~triggers.sql.session.DatabaseSession`: the connection's type
picks the driver (asyncpg, aiomysql, aiosqlite), pools are shared per database per event loop,
the transaction is read-only unless ``read_only`` is False, and ``statement_timeout`` stops a
statement in the server. With ``listen_channel`` (PostgreSQL) a NOTIFY on it wakes the wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from triggers.callables import load_callable
from triggers.checks import Check, Probe
from triggers.errors import ConfigurationError
from triggers.outcomes import Failed, Met, NotYet, Outcome
from triggers.report import MAX_CONDITION_VALUE_CHARS, capped
from triggers.sql.listen import EVERY_NOTIFICATION
from triggers.sql.placeholders import bind, uses_pyformat, validate_parameters
from triggers.sql.session import DatabaseSession, session_probe
from triggers.sql.targets import IDENTIFIER, MYSQL_TYPES, POSTGRES_TYPES, SQLITE_TYPES, Rows, validate_conn_id
from triggers.sql.values import jsonable
from triggers.validation import require_bool, require_positive

SUPPORTED_TYPES = SQLITE_TYPES | POSTGRES_TYPES | MYSQL_TYPES
# The server stops a statement a little before the attempt gives up on it, so the attempt ends
# with the server's clean "statement timeout" rather than a cancelled round trip.
SERVER_SHARE = 0.9
# A row quoted in a reason is cut to this many characters.
QUOTED_CHARS = 200


@dataclass(frozen=True, kw_only=True)
class SqlQueryCheck(Check):
    """Met when the first row of ``sql`` passes (see the module docstring); every field is JSON."""

    kind: ClassVar[str] = "sql_query"
    conn_id: str
    sql: str
    parameters: Sequence[Any] | Mapping[str, Any] | None = field(default=None, hash=False)
    success: str | None = None
    failure: str | None = None
    selector: str | None = None
    fail_on_empty: bool = False
    database: str | None = None
    listen_channel: str | None = None
    read_only: bool = True
    statement_timeout: float | None = None
    share_probe: bool = True

    def __post_init__(self) -> None:
        validate_conn_id(self.conn_id)
        if not isinstance(self.sql, str) or not self.sql.strip():
            raise ConfigurationError("sql", f"must be a non-empty SQL statement, got {self.sql!r:.100}")
        parameters = validate_parameters(self.parameters)
        object.__setattr__(self, "parameters", parameters)
        if parameters is not None and uses_pyformat(self.sql):
            bind(self.sql, parameters, "postgres")  # placeholders and values must match: fail at parse time
        for argument in ("success", "failure", "selector"):
            path = getattr(self, argument)
            if path is not None and (not isinstance(path, str) or "." not in path):
                raise ConfigurationError(argument, f"must be a dotted path 'package.module.function', got {path!r}")
        require_bool("fail_on_empty", self.fail_on_empty)
        require_bool("read_only", self.read_only)
        if self.database is not None and (not isinstance(self.database, str) or not self.database):
            raise ConfigurationError("hook_params", f"the database must be a name, got {self.database!r}")
        channel = self.listen_channel
        if channel is not None and (not isinstance(channel, str) or not IDENTIFIER.fullmatch(channel)):
            raise ConfigurationError(
                "listen_channel", f"must be a plain channel name (letters, digits, _), got {channel!r}"
            )
        require_bool("share_probe", self.share_probe)
        if self.statement_timeout is not None:
            require_positive("attempt_timeout", self.statement_timeout)

    def describe(self) -> str:
        text = " ".join(self.sql.split())
        return f"query on {self.conn_id}: {text[:80]}{'...' if len(text) > 80 else ''}"

    def functions(self) -> dict[str, Callable[..., Any] | None]:
        """Return success, failure and selector as callables; imports, so call it off the loop.

        Raises ConfigurationError when a path no longer imports.
        """
        paths = {"success": self.success, "failure": self.failure, "selector": self.selector}
        return {name: load_callable(path, name) if path else None for name, path in paths.items()}

    def judge(
        self, names: Sequence[str], rows: Sequence[Sequence[Any]], functions: Mapping[str, Callable[..., Any] | None]
    ) -> Outcome:
        """Return the outcome for what the query returned, as SqlSensor decides (runs the user's functions)."""
        if not rows:
            if self.fail_on_empty:
                return Failed("no rows returned, and fail_on_empty is set")
            return NotYet("no rows yet")
        row = tuple(rows[0])
        selector, failure, success = functions["selector"], functions["failure"], functions["success"]
        condition = selector(row) if selector is not None else row[0]
        shown = f"{jsonable(condition)!r:.{QUOTED_CHARS}}"
        # A wide row (a large text cell) must not ride along whole in every report: capped as a condition's value.
        detail = {"row": capped(jsonable(dict(zip(names, row, strict=False))), MAX_CONDITION_VALUE_CHARS)}
        if failure is not None and failure(condition):
            return Failed(f"failure criteria met: {self.failure}({shown}) returned True", detail=detail)
        passed = success(condition) if success is not None else bool(condition)
        if passed:
            return Met(jsonable(condition), detail=detail)
        judged = f"{self.success}({shown}) returned {passed!r}" if success is not None else f"the first cell is {shown}"
        return NotYet(f"not met: {judged}", detail=detail)

    async def _first_row(self, session: DatabaseSession, _interests: frozenset[Hashable] = frozenset()) -> Rows:
        timeout = None if self.statement_timeout is None else self.statement_timeout * SERVER_SHARE
        names, rows = await session.fetch(
            self.sql, self.parameters, read_only=self.read_only, statement_timeout=timeout
        )
        return names, rows[:1]

    async def _judged(self, answer: Rows) -> Outcome:
        return await asyncio.to_thread(lambda: self.judge(*answer, self.functions()))

    def _session(self, resources: contextlib.AsyncExitStack, listen: bool) -> DatabaseSession:
        # A query's answer can depend on any row, so every notification on the channel wakes it.
        return DatabaseSession(
            self.conn_id,
            resources,
            accepted=SUPPORTED_TYPES,
            database=self.database,
            channel=self.listen_channel if listen else None,
            keys=EVERY_NOTIFICATION,
        )

    async def check(self) -> Outcome:
        async with session_probe(self._session, self._first_row, self._judged, shared_key=None) as probe:
            return await probe.check()

    def opened(self) -> contextlib.AbstractAsyncContextManager[Probe]:
        """Hold the wait's session; with ``share_probe``, waits running the same read-only query share each run.

        A query with ``read_only=False`` may write, so it always runs for its own wait.
        """
        shared = self.share_probe and self.read_only
        key = self.source_key() if shared else None
        return session_probe(self._session, self._first_row, self._judged, shared_key=key)

    def source_key(self) -> str:
        """Return what makes two checks the same query: connection, database, SQL, parameters, timeout."""
        asked = [self.conn_id, self.database, self.sql, self.parameters, self.statement_timeout]
        return "sql " + json.dumps(asked, sort_keys=True, default=repr)


@dataclass(frozen=True, kw_only=True)
class LocalSqlQueryCheck(SqlQueryCheck):
    """A SqlQueryCheck whose functions are any callables: poke mode only, never sent to the triggerer."""

    kind: ClassVar[str] = ""  # not a kind of its own: it never travels
    local: Mapping[str, Callable[..., Any] | None] = field(default_factory=dict, hash=False, compare=False)

    def functions(self) -> dict[str, Callable[..., Any] | None]:
        return {name: self.local.get(name) for name in ("success", "failure", "selector")}

    def to_dict(self) -> dict[str, Any]:
        raise TypeError(f"{self.describe()} runs in poke mode only and cannot be sent to the triggerer")
