"""Orders in a SQL table: validated identifiers, the query, and where an Airflow connection points.

Table and column names cannot be bound as parameters, so they are checked against a strict
pattern when the sensor is built (a bad one fails the DAG at parse time) and written into the
query unquoted; order ids are always bound. Connections are resolved in the triggerer with
``BaseHook.aget_connection``: trigger kwargs carry only the connection id, never a password.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from triggers.compat import AirflowNotFoundException, aget_connection, amask_secret
from triggers.errors import ConfigurationError, PermanentError
from triggers.orders.records import OrderRow, order_key

# PostgreSQL's limit is 63 bytes; plain ASCII names only, so nothing needs quoting.
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
# What Airflow accepts in a connection id.
CONN_ID = re.compile(r"[A-Za-z0-9_.\-]{1,250}")
POSTGRES_TYPES = frozenset({"postgres", "postgresql"})
SSL_MODES = frozenset({"disable", "allow", "prefer", "require", "verify-ca", "verify-full"})


def validate_identifier(argument: str, value: Any, *, qualified: bool = False) -> str:
    """Return ``value``; raise ConfigurationError unless it is a plain SQL name (``schema.name`` if qualified)."""
    parts = value.split(".") if isinstance(value, str) and qualified else [value]
    if len(parts) > 2 or not all(isinstance(part, str) and IDENTIFIER.fullmatch(part) for part in parts):
        shape = "name or schema.name" if qualified else "name"
        raise ConfigurationError(
            argument, f"must be a plain SQL {shape} (letters, digits and _, not starting with a digit), got {value!r}"
        )
    return str(value)


def validate_conn_id(value: Any) -> str:
    """Return ``value``; raise ConfigurationError unless it is an Airflow connection id."""
    if not isinstance(value, str) or not CONN_ID.fullmatch(value):
        raise ConfigurationError("conn_id", f"must be an Airflow connection id (letters, digits, _ . -), got {value!r}")
    return value


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


@dataclass(frozen=True)
class SqliteTarget:
    """A SQLite database file."""

    path: str

    def describe(self) -> str:
        return f"sqlite {self.path}"


@dataclass(frozen=True)
class PostgresTarget:
    """A PostgreSQL database; the password stays out of repr, logs and kwargs."""

    host: str | None
    port: int
    database: str | None
    user: str | None
    password: str | None = field(default=None, repr=False)
    ssl: str | None = None

    def describe(self) -> str:
        return f"postgres {self.user or ''}@{self.host or 'localhost'}:{self.port}/{self.database or ''}"


Target = SqliteTarget | PostgresTarget


async def resolve_target(conn_id: str) -> Target:
    """Return where connection ``conn_id`` points, registering its password with Airflow's log masker.

    Raises PermanentError when the connection is not defined, is not sqlite or postgres, or
    lacks a SQLite path.
    """
    try:
        conn = await aget_connection(conn_id)
    except AirflowNotFoundException as error:
        raise PermanentError(f"connection {conn_id!r} is not defined") from error
    if conn.password:
        # the async form: the sync one sends to the supervisor with a blocking call on the loop
        await amask_secret(conn.password)
    if conn.conn_type == "sqlite":
        # The UI puts the file in host; a URI (sqlite:////path) puts it in schema.
        path = conn.host or conn.schema
        if not path:
            raise PermanentError(f"connection {conn_id!r} is sqlite but names no database file")
        return SqliteTarget(path)
    if conn.conn_type in POSTGRES_TYPES:
        sslmode = conn.extra_dejson.get("sslmode")
        return PostgresTarget(
            host=conn.host or None,
            port=int(conn.port or 5432),
            database=conn.schema or None,
            user=conn.login or None,
            password=conn.password or None,
            ssl=sslmode if sslmode in SSL_MODES else None,
        )
    raise PermanentError(
        f"connection {conn_id!r} is of type {conn.conn_type!r}; orders are read from sqlite or postgres"
    )
