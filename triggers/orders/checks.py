"""Order checks: wait until orders reach a status, in the seed's JSON file or in a SQL table.

Both are frozen, JSON-serialisable specs that validate every parameter when built (so a bad
sensor argument fails the DAG at parse time, naming the argument) and judge what they read the
same way (:func:`triggers.orders.records.judge`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from triggers.checks import Check, Probe
from triggers.errors import ConfigurationError
from triggers.orders.json_store import (
    DEFAULT_DB_PATH,
    DEFAULT_MAX_PARSE_FAILURES,
    UNPARSABLE,
    orders_file,
    read_orders,
    validate_db_path,
)
from triggers.orders.records import (
    DEFAULT_FAILURE_STATUSES,
    OrderId,
    OrderRow,
    judge,
    order_key,
    validate_failure_statuses,
    validate_order_ids,
    validate_text,
)
from triggers.orders.sql import ORDER_TYPES, OrderQuery
from triggers.outcomes import Failed, Outcome
from triggers.shared_source import shared_probe
from triggers.sql.session import DatabaseSession, session_probe
from triggers.sql.targets import validate_conn_id, validate_identifier
from triggers.validation import require_bool, require_whole

Rows = Mapping[str, OrderRow]


@dataclass(frozen=True, kw_only=True)
class OrderCheck(Check):
    """Met when every order in ``order_ids`` has ``expected_status``; failed when one is in ``failure_statuses``.

    Met's value is the order's record (a list of records for several orders).
    """

    order_ids: tuple[OrderId, ...]
    expected_status: str
    failure_statuses: tuple[str, ...] = DEFAULT_FAILURE_STATUSES
    id_column: str = "id"
    status_column: str = "status"

    def __post_init__(self) -> None:
        # Frozen: normalise through object.__setattr__ (JSON turns the tuples into lists).
        object.__setattr__(self, "order_ids", validate_order_ids(self.order_ids))
        validate_text("expected_status", self.expected_status)
        statuses = validate_failure_statuses(self.failure_statuses, self.expected_status)
        object.__setattr__(self, "failure_statuses", statuses)
        validate_text("id_column", self.id_column)
        validate_text("status_column", self.status_column)

    def where(self) -> str:
        """Return where the orders are read, for messages."""
        raise NotImplementedError

    async def _judged(self, rows: Rows) -> Outcome:
        expected, failure_statuses = self.expected_status, self.failure_statuses
        return judge(self.order_ids, rows, expected=expected, failure_statuses=failure_statuses, where=self.where())

    def describe(self) -> str:
        ids = ", ".join(str(order_id) for order_id in self.order_ids)
        noun = "order" if len(self.order_ids) == 1 else "orders"
        return f"{noun} {ids} -> {self.expected_status!r} in {self.where()}"


@dataclass(frozen=True, kw_only=True)
class JsonOrderCheck(OrderCheck):
    """Orders in the seed's mock database: ``orders.json`` under ``db_path`` (or ``db_path`` itself if .json).

    A missing or torn file is "not yet"; ``max_parse_failures`` unparsable reads in a row fail
    the wait with the file's last parse error. With ``share_probe`` (the default) every wait on
    the file in one event loop judges the same read.
    """

    kind: ClassVar[str] = "order_json"
    db_path: str = DEFAULT_DB_PATH
    max_parse_failures: int = DEFAULT_MAX_PARSE_FAILURES
    share_probe: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        validate_db_path(self.db_path)
        require_whole("max_parse_failures", self.max_parse_failures)
        require_bool("share_probe", self.share_probe)

    def where(self) -> str:
        return orders_file(self.db_path)

    async def check(self) -> Outcome:
        return await self._judged(await self.rows())

    def opened(self) -> contextlib.AbstractAsyncContextManager[Probe]:
        """With ``share_probe``, waits on one file in the event loop share one read and parse per look."""
        if not self.share_probe:
            return super().opened()
        return shared_probe(self.source_key(), lambda _resources, _interests: self.rows(), self._judged)

    def source_key(self) -> str:
        """Return what makes two checks read the same thing: the file and the two keys indexed."""
        return "orders-json " + json.dumps([self.where(), self.id_column, self.status_column])

    async def rows(self) -> Mapping[str, OrderRow]:
        """Return the watched orders found, by id; raises what :func:`read_orders` raises."""
        return await read_orders(self.where(), id_column=self.id_column, status_column=self.status_column)

    def escalate(self, outcome: Outcome, repeats: int) -> Outcome:
        """Fail once the file was unparsable on ``max_parse_failures`` checks in a row.

        The count lives in the wait's state, so it holds across pokes, reschedules and the trigger.
        """
        if outcome.kind == "not_yet" and outcome.error in UNPARSABLE and repeats >= self.max_parse_failures:
            return Failed(
                f"{self.where()} could not be parsed on {repeats} consecutive checks; last error: {outcome.reason}",
                error="PermanentError",
            )
        return outcome


@dataclass(frozen=True, kw_only=True)
class SqlOrderCheck(OrderCheck):
    """Orders in ``table`` of the database behind Airflow connection ``conn_id`` (sqlite or postgres).

    With ``notify_channel`` (postgres only) the wait also LISTENs on that channel and checks at
    once on a notification about one of its orders; polling continues as the fallback.
    ``columns`` limits the record (the XCom) to those columns plus id and status; empty: all.
    """

    kind: ClassVar[str] = "order_sql"
    conn_id: str
    table: str = "orders"
    columns: tuple[str, ...] = ()
    notify_channel: str | None = None
    share_probe: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        validate_conn_id(self.conn_id)
        validate_identifier("table", self.table, qualified=True)
        validate_identifier("id_column", self.id_column)
        validate_identifier("status_column", self.status_column)
        if isinstance(self.columns, str) or not isinstance(self.columns, (list, tuple)):
            raise ConfigurationError("columns", f"must be a list of column names, got {self.columns!r}")
        object.__setattr__(self, "columns", tuple(validate_identifier("columns", c) for c in self.columns))
        if self.notify_channel is not None:
            validate_identifier("notify_channel", self.notify_channel)
        require_bool("share_probe", self.share_probe)

    def where(self) -> str:
        return f"table {self.table} of connection {self.conn_id}"

    def session(self, resources: contextlib.AsyncExitStack, listen: bool = True) -> DatabaseSession:
        """Return a session on the table's database; ``listen``: woken by NOTIFYs about these orders."""
        return DatabaseSession(
            self.conn_id,
            resources,
            accepted=ORDER_TYPES,
            channel=self.notify_channel if listen else None,
            keys=frozenset(order_key(order_id) for order_id in self.order_ids),
            id_column=self.id_column,
            channel_argument="notify_channel",
        )

    async def read(self, session: DatabaseSession, order_ids: frozenset[Hashable] | None = None) -> Rows:
        """Return the orders of ``order_ids`` (default: the watched ones) found through ``session``, by id."""
        query = OrderQuery(self.table, self.id_column, self.status_column, self.columns)
        return await query.fetch(session, self.order_ids if order_ids is None else order_ids)

    async def check(self) -> Outcome:
        async with self.opened() as probe:
            return await probe.check()

    def opened(self) -> contextlib.AbstractAsyncContextManager[Probe]:
        """Hold the wait's database session; with ``share_probe``, waits on one table share each query.

        A shared query asks about every sharing wait's orders at once.
        """
        key = self.source_key() if self.share_probe else None
        interest = frozenset(self.order_ids)
        return session_probe(self.session, self.read, self._judged, shared_key=key, interest=interest)

    def source_key(self) -> str:
        """Return what makes two checks read alike: connection, table, columns (the ids are interests)."""
        read = [self.conn_id, self.table, self.id_column, self.status_column, list(self.columns)]
        return "orders-sql " + json.dumps(read)
