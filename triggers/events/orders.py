"""OrderEventTrigger: one event per order status transition into a watched status, with the record.

The orders are read by the order checks' own readers: a :class:`JsonOrderCheck` polls the seed's
JSON file, a :class:`SqlOrderCheck` queries its table (woken by PostgreSQL NOTIFY on its
``notify_channel``, through the shared listener; polled elsewhere). A transition is one change per
(order id, status, ``updated_column`` value): with an update-time column, an order that leaves a
watched status and comes back is announced again; without one (the column absent from the
record) each (order, status) is announced once.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

from airflow.triggers.base import BaseEventTrigger

from triggers.checks import Check
from triggers.events.base import DEFAULT_REMEMBER_AFTER, Change, EventWatcher
from triggers.orders.checks import JsonOrderCheck, OrderCheck, SqlOrderCheck
from triggers.orders.records import OrderRow, order_key
from triggers.sql.values import jsonable


class OrderEventTrigger(EventWatcher, BaseEventTrigger):
    """Yield ``{"key", "order_id", "status", "updated", "record"}`` once per order entering a watched status.

    :param check: a :class:`JsonOrderCheck` or :class:`SqlOrderCheck` (or its ``to_dict()``); its
        ``order_ids`` are the watched orders.
    :param statuses: the watched statuses; empty means the check's ``expected_status``.
    :param updated_column: the record's update-time column, part of the idempotency key.
    :param interval: seconds between reads (with NOTIFY: the fallback when a notification is missed).
    :param remember_after: seconds after an event before its key is written to the memory.
    """

    check_class = OrderCheck
    check: OrderCheck
    source_kwargs = ("check", "interval")

    def __init__(
        self,
        *,
        check: Mapping[str, Any] | Check,
        statuses: Sequence[str] = (),
        updated_column: str | None = "updated_at",
        interval: float = 15.0,
        remember_after: float = DEFAULT_REMEMBER_AFTER,
    ) -> None:
        super().__init__(
            {
                "check": check,
                "statuses": statuses,
                "updated_column": updated_column,
                "interval": interval,
                "remember_after": remember_after,
            }
        )

    def build(self) -> None:
        statuses = self.kwargs["statuses"]
        if not isinstance(statuses, list) or not all(isinstance(s, str) and s for s in statuses):
            raise ValueError(f"statuses must be a list of status names, got {statuses!r}")
        self.statuses = frozenset(statuses or [self.check.expected_status])
        column = self.kwargs["updated_column"]
        if column is not None and (not isinstance(column, str) or not column):
            raise ValueError(f"updated_column must be a column name or None, got {column!r}")

    async def observations(self) -> AsyncIterator[Any]:
        check = self.check
        async with contextlib.AsyncExitStack() as resources:
            fetch: Callable[[], Awaitable[Mapping[str, OrderRow]]]
            if isinstance(check, SqlOrderCheck):
                session = check.session(resources)
                fetch, wakeup = lambda: check.read(session), session.wakeup
            elif isinstance(check, JsonOrderCheck):
                fetch, wakeup = check.rows, None
            else:
                raise TypeError(f"no order reader for {check.kind!r}")

            async def look() -> tuple[float, dict[str, Any]]:
                rows = await fetch()
                return time.time(), {key: (row.status, row.record) for key, row in rows.items()}

            async for observation in self.looking(look, wakeup):
                yield observation

    def changes(self, observation: Any) -> list[Change]:
        _, rows = observation
        column = self.kwargs["updated_column"]
        changes = []
        for order_id in self.check.order_ids:
            found = rows.get(order_key(order_id))
            if found is None or found[0] not in self.statuses:
                continue
            status, record = found
            updated = jsonable(record.get(column)) if column is not None else None
            key = f"{order_key(order_id)}|{status}|{'' if updated is None else updated}"
            payload = {
                "key": key,
                "order_id": order_id,
                "status": status,
                "updated": updated,
                "record": jsonable(record),
            }
            changes.append(Change(key, payload))
        return changes
