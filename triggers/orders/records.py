"""Judging orders: which status each watched order has, and whether the wait is over.

Every store (the JSON file, SQLite, PostgreSQL) turns what it read into :class:`OrderRow` values
keyed by the order id as text, and :func:`judge` decides: a watched order in a failure status
fails the wait at once, all of them in the expected status meet it, anything else is "not yet"
with a reason naming what was seen (the poll loop logs a reason when it changes).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from triggers.errors import ConfigurationError
from triggers.outcomes import Failed, Met, NotYet, Outcome
from triggers.sql.values import jsonable

OrderId = int | str

#: Statuses an order never leaves: waiting on for "shipped" would only end at the timeout.
DEFAULT_FAILURE_STATUSES: tuple[str, ...] = ("cancelled", "refunded")
# How many not-yet orders a reason names before it summarises the rest.
NAMED_IN_REASON = 5
# A record quoted in a failure message is cut to this many characters.
QUOTED_RECORD_CHARS = 300


@dataclass(frozen=True)
class OrderRow:
    """One order as a store found it: its status (None when it has none) and the whole record."""

    status: Any
    record: dict[str, Any]


def order_key(order_id: Any) -> str:
    """Return the text an order id is matched by, so 1 in a DAG matches "1" in a store."""
    return str(order_id)


def validate_order_ids(value: Any, argument: str = "order_id") -> tuple[OrderId, ...]:
    """Return the ids as a tuple without repeats; raise ConfigurationError unless each is an int or text."""
    items = tuple(value) if isinstance(value, (list, tuple)) else (value,)
    if not items:
        raise ConfigurationError(argument, "needs at least one order id")
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)) or (isinstance(item, str) and not item.strip()):
            raise ConfigurationError(argument, f"an order id is a whole number or non-empty text, got {item!r}")
    unique: dict[str, OrderId] = {}
    for item in items:
        unique.setdefault(order_key(item), item)
    return tuple(unique.values())


def validate_text(argument: str, value: Any) -> str:
    """Return ``value``; raise ConfigurationError unless it is non-empty text."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(argument, f"must be non-empty text, got {value!r}")
    return value


def validate_failure_statuses(value: Any, expected: str) -> tuple[str, ...]:
    """Return the failure statuses as a tuple; raise ConfigurationError when invalid or holding ``expected``."""
    if isinstance(value, str) or not isinstance(value, (list, tuple, set, frozenset)):
        raise ConfigurationError("failure_statuses", f"must be a list of statuses, got {value!r}")
    statuses = tuple(validate_text("failure_statuses", status) for status in value)
    if expected in statuses:
        raise ConfigurationError("failure_statuses", f"holds the expected status {expected!r}")
    return statuses


def _quoted(record: Mapping[str, Any]) -> str:
    text = json.dumps(record, default=str, sort_keys=True)
    return text if len(text) <= QUOTED_RECORD_CHARS else text[: QUOTED_RECORD_CHARS - 3] + "..."


def _state(key: str, row: OrderRow | None) -> str:
    if row is None:
        return f"{key} not found"
    if row.status is None:
        return f"{key} has no status yet"
    return f"{key} is {str(row.status)!r}"


def judge(
    order_ids: Sequence[OrderId],
    rows: Mapping[str, OrderRow],
    *,
    expected: str,
    failure_statuses: Sequence[str],
    where: str,
) -> Outcome:
    """Return Failed when a watched order is in a failure status, Met when all are in ``expected``.

    Met's value is the order's record (a list of records, in ``order_ids`` order, for several);
    every outcome's detail maps each order id to the status seen (None: absent or no status).
    """
    keys = [order_key(order_id) for order_id in order_ids]
    found = {key: rows[key] for key in keys if key in rows}
    detail: dict[str, Any] = {
        "orders": {key: jsonable(found[key].status) if key in found else None for key in keys},
        "missing": [key for key in keys if key not in found],
        "expected_status": expected,
    }
    for key, row in found.items():
        if row.status is not None and str(row.status) in failure_statuses:
            return Failed(
                f"order {key} is {str(row.status)!r}, a final status, in {where}: {_quoted(jsonable(row.record))}",
                detail=detail,
            )
    waiting = [key for key in keys if key not in found or str(found[key].status) != expected]
    if not waiting:
        records = [jsonable(found[key].record) for key in keys]
        return Met(records[0] if len(records) == 1 else records, detail=detail)
    states = [_state(key, found.get(key)) for key in waiting[:NAMED_IN_REASON]]
    if len(waiting) > NAMED_IN_REASON:
        states.append(f"{len(waiting) - NAMED_IN_REASON} more")
    # Not-yet reasons stay short: log lines and the timeout message already name the store.
    if len(keys) == 1:
        return NotYet(f"order {states[0]}", detail=detail)
    return NotYet(f"{len(waiting)} of {len(keys)} orders not {expected!r} yet: {'; '.join(states)}", detail=detail)
