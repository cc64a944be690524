"""Where an Airflow connection points (a SQLite file, a PostgreSQL or a MySQL/MariaDB database), and SQL names.

Trigger kwargs carry only the connection id; the connection (with its password) is resolved in
the triggerer with ``aget_connection`` (triggers.compat) and the password is registered with Airflow's
log masker at once. Targets keep the password out of ``repr`` and ``describe()``.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from triggers.compat import AirflowNotFoundException, aget_connection, amask_secret
from triggers.errors import ConfigurationError, PermanentError

# What Airflow accepts in a connection id.
CONN_ID = re.compile(r"[A-Za-z0-9_.\-]{1,250}")
SQLITE_TYPES = frozenset({"sqlite"})
POSTGRES_TYPES = frozenset({"postgres", "postgresql"})
MYSQL_TYPES = frozenset({"mysql", "mariadb"})
SSL_MODES = frozenset({"disable", "allow", "prefer", "require", "verify-ca", "verify-full"})
# PostgreSQL's limit is 63 bytes; plain ASCII names only, so nothing needs quoting.
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")

#: What a query returned: the column names and the rows.
Rows = tuple[list[str], list[tuple[Any, ...]]]


def validate_conn_id(value: Any) -> str:
    """Return ``value``; raise ConfigurationError unless it is an Airflow connection id."""
    if not isinstance(value, str) or not CONN_ID.fullmatch(value):
        raise ConfigurationError("conn_id", f"must be an Airflow connection id (letters, digits, _ . -), got {value!r}")
    return value


def validate_identifier(argument: str, value: Any, *, qualified: bool = False) -> str:
    """Return ``value``; raise ConfigurationError unless it is a plain SQL name (``schema.name`` if qualified).

    Names cannot be bound as parameters: a name that passes is written into SQL unquoted.
    """
    parts = value.split(".") if isinstance(value, str) and qualified else [value]
    if len(parts) > 2 or not all(isinstance(part, str) and IDENTIFIER.fullmatch(part) for part in parts):
        shape = "name or schema.name" if qualified else "name"
        raise ConfigurationError(
            argument, f"must be a plain SQL {shape} (letters, digits and _, not starting with a digit), got {value!r}"
        )
    return str(value)


@dataclass(frozen=True)
class SqliteTarget:
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


@dataclass(frozen=True)
class MysqlTarget:
    """A MySQL or MariaDB database; the password stays out of repr, logs and kwargs."""

    host: str
    port: int
    database: str | None
    user: str | None
    password: str | None = field(default=None, repr=False)

    def describe(self) -> str:
        return f"mysql {self.user or ''}@{self.host}:{self.port}/{self.database or ''}"


SqlTarget = SqliteTarget | PostgresTarget | MysqlTarget


async def resolve_sql_target(conn_id: str, accepted: Collection[str], database: str | None = None) -> SqlTarget:
    """Return where connection ``conn_id`` points, registering its password with Airflow's log masker.

    ``accepted`` are the connection types the caller can read; ``database`` overrides the
    connection's database (schema). Raises PermanentError when the connection is not defined,
    is of a type not accepted (naming it), or is sqlite without a path.
    """
    try:
        conn = await aget_connection(conn_id)
    except AirflowNotFoundException as error:
        raise PermanentError(f"connection {conn_id!r} is not defined") from error
    if conn.password:
        # the async form: the sync one sends to the supervisor with a blocking call on the loop
        await amask_secret(conn.password)
    kind = conn.conn_type or ""
    if kind not in accepted:
        raise PermanentError(
            f"connection {conn_id!r} is of type {kind!r}; this sensor reads {', '.join(sorted(accepted))}"
        )
    if kind in SQLITE_TYPES:
        # The UI puts the file in host; a URI (sqlite:////path) puts it in schema.
        path = conn.host or conn.schema
        if not path:
            raise PermanentError(f"connection {conn_id!r} is sqlite but names no database file")
        return SqliteTarget(path)
    if kind in MYSQL_TYPES:
        return MysqlTarget(
            host=conn.host or "localhost",
            port=int(conn.port or 3306),
            database=database or conn.schema or None,
            user=conn.login or None,
            password=conn.password or None,
        )
    sslmode = conn.extra_dejson.get("sslmode")
    return PostgresTarget(
        host=conn.host or None,
        port=int(conn.port or 5432),
        database=database or conn.schema or None,
        user=conn.login or None,
        password=conn.password or None,
        ssl=sslmode if sslmode in SSL_MODES else None,
    )
