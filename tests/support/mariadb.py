"""A fresh MariaDB (or MySQL) database per test, on this machine's server (127.0.0.1:3306, root, no password).

Use the ``mariadb_db`` fixture (import it into a conftest.py) or ``fresh_database()``, and mark the
tests ``@pytest.mark.mariadb``. When the server is unreachable the tests skip, except under
CI=true, where they fail: CI must not pass by skipping them (scripts/test starts the server).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pymysql
import pytest

HOST = "127.0.0.1"
PORT = 3306
USER = "root"
CONNECT_TIMEOUT = 5


@dataclass(frozen=True)
class MariaDatabase:
    """A database that exists for one test (or one fixture scope)."""

    name: str
    host: str = HOST
    port: int = PORT
    user: str = USER

    @property
    def airflow_uri(self) -> str:
        """Return the Airflow connection URI (for AIRFLOW_CONN_<ID>)."""
        return f"mysql://{self.user}@{self.host}:{self.port}/{self.name}"

    def connect(self, database: str | None = None) -> pymysql.connections.Connection:
        """Return a new autocommit connection to this database (close it yourself)."""
        return pymysql.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            database=database or self.name,
            connect_timeout=CONNECT_TIMEOUT,
            autocommit=True,
        )

    def run(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Run one statement on a short-lived connection; return its rows."""
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, args or None)
                return list(cursor.fetchall())
        finally:
            connection.close()

    def sessions(self) -> list[int]:
        """Return the ids of the other connections using this database."""
        rows = self.run(
            "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = %s AND ID <> CONNECTION_ID()", self.name
        )
        return [int(row[0]) for row in rows]


def _unavailable(reason: str) -> None:
    message = f"MariaDB at {HOST}:{PORT} is not usable: {reason}"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: MariaDB tests must run)")
    pytest.skip(message)


def _admin(sql: str) -> None:
    connection = pymysql.connect(host=HOST, port=PORT, user=USER, connect_timeout=CONNECT_TIMEOUT, autocommit=True)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


@contextlib.contextmanager
def fresh_database(prefix: str = "ads_test") -> Iterator[MariaDatabase]:
    """Create a uniquely named database, yield it, drop it.

    Skips the calling test when the server is unreachable (fails under CI=true).
    """
    database = MariaDatabase(f"{prefix}_{uuid.uuid4().hex[:12]}")
    try:
        _admin(f"CREATE DATABASE {database.name}")
    except (OSError, pymysql.err.MySQLError) as error:
        _unavailable(f"{type(error).__name__}: {error}")
    try:
        yield database
    finally:
        _admin(f"DROP DATABASE IF EXISTS {database.name}")


@pytest.fixture
def mariadb_db() -> Iterator[MariaDatabase]:
    """A fresh, empty database for this test, dropped after it."""
    with fresh_database() as database:
        yield database
