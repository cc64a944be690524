"""Orders in a SQL table: validated identifiers and the query (connections: :mod:`triggers.sql.targets`).

Table and column names cannot be bound as parameters, so they are checked against a strict
pattern when the sensor is built (a bad one fails the DAG at parse time) and written into the
query unquoted; order ids are always bound.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from triggers.errors import ConfigurationError
from triggers.orders.records import OrderRow, order_key
from triggers.sql.targets import validate_conn_id

__all__ = ["IDENTIFIER", "OrderQuery", "rows_to_orders", "validate_conn_id", "validate_identifier"]

# PostgreSQL's limit is 63 bytes; plain ASCII names only, so nothing needs quoting.
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def validate_identifier(argument: str, value: Any, *, qualified: bool = False) -> str:
    """Return ``value``; raise ConfigurationError unless it is a plain SQL name (``schema.name`` if qualified)."""
    parts = value.split(".") if isinstance(value, str) and qualified else [value]
    if len(parts) > 2 or not all(isinstance(part, str) and IDENTIFIER.fullmatch(part) for part in parts):
        shape = "name or schema.name" if qualified else "name"
        raise ConfigurationError(
            argument, f"must be a plain SQL {shape} (letters, digits and _, not starting with a digit), got {value!r}"
        )
    return str(value)


@dataclass(frozen=True)
class OrderQuery:
    """SELECT the watched orders: id and status first, then the record's columns (all when none given)."""

    table: str
    id_column: str
    status_column: str
    columns: tuple[str, ...] = ()

    def _select(self) -> str:
        record = ", ".join(dict.fromkeys((self.id_column, self.status_column, *self.columns))) if self.columns else "*"
        return f"SELECT {self.id_column}, {self.status_column}, {record} FROM {self.table}"  # names were validated

    def postgres(self) -> str:
        """Return the PostgreSQL query; $1 is the array of order ids."""
        return f"{self._select()} WHERE {self.id_column} = ANY($1)"

    def sqlite(self, count: int) -> str:
        """Return the SQLite query for ``count`` bound order ids."""
        return f"{self._select()} WHERE {self.id_column} IN ({', '.join('?' * count)})"


def rows_to_orders(names: Sequence[str], rows: Iterable[Sequence[Any]]) -> dict[str, OrderRow]:
    """Return rows of ``OrderQuery`` by order id: columns 0 and 1 are id and status, the rest the record."""
    record_names = list(names[2:])
    orders: dict[str, OrderRow] = {}
    for row in rows:
        orders.setdefault(order_key(row[0]), OrderRow(row[1], dict(zip(record_names, row[2:], strict=True))))
    return orders
