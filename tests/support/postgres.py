"""A fresh PostgreSQL database per test, on this machine's server (127.0.0.1:5432, user postgres).

Use the ``postgres_db`` fixture (import it into a conftest.py) or the ``fresh_database()``
context manager (for module- or session-scoped fixtures of your own), and mark the tests
``@pytest.mark.postgres``. When the server is unreachable the tests skip, except under CI=true,
where they fail: CI must not pass by skipping them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

HOST = "127.0.0.1"
PORT = 5432
USER = "postgres"
CONNECT_TIMEOUT = 5.0


@dataclass(frozen=True)
class PostgresDatabase:
    """A database that exists for one test (or one fixture scope)."""

    name: str
    host: str = HOST
    port: int = PORT
    user: str = USER

    @property
    def dsn(self) -> str:
        """Return the libpq/asyncpg URL."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.name}"

    @property
    def airflow_uri(self) -> str:
        """Return the Airflow connection URI (for AIRFLOW_CONN_<ID>)."""
        return f"postgres://{self.user}@{self.host}:{self.port}/{self.name}"

    async def connect(self, **kwargs: Any) -> asyncpg.Connection:
        """Return a new connection to this database (close it yourself)."""
        return await asyncpg.connect(self.dsn, timeout=CONNECT_TIMEOUT, **kwargs)

    async def execute(self, sql: str, *args: Any) -> str:
        """Run one statement on a short-lived connection; return its status."""
        connection = await self.connect()
        try:
            return str(await connection.execute(sql, *args))
        finally:
            await connection.close()

    def run(self, sql: str, *args: Any) -> str:
        """``execute`` from synchronous code (a sync test or fixture)."""
        return asyncio.run(self.execute(sql, *args))


def _unavailable(reason: str) -> None:
    message = f"PostgreSQL at {HOST}:{PORT} is not usable: {reason}"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: PostgreSQL tests must run)")
    pytest.skip(message)


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(host=HOST, port=PORT, user=USER, database="postgres", timeout=CONNECT_TIMEOUT)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextlib.contextmanager
def fresh_database(prefix: str = "ads_test") -> Iterator[PostgresDatabase]:
    """Create a uniquely named database, yield it, drop it (closing whatever still uses it).

    Skips the calling test when the server is unreachable (fails under CI=true).
    """
    database = PostgresDatabase(f"{prefix}_{uuid.uuid4().hex[:12]}")
    try:
        asyncio.run(_admin(f"CREATE DATABASE {database.name}"))
    except (TimeoutError, OSError, asyncpg.PostgresError) as error:
        _unavailable(f"{type(error).__name__}: {error}")
    try:
        yield database
    finally:
        asyncio.run(_admin(f"DROP DATABASE IF EXISTS {database.name} WITH (FORCE)"))


@pytest.fixture
def postgres_db() -> Iterator[PostgresDatabase]:
    """A fresh, empty database for this test, dropped after it."""
    with fresh_database() as database:
        yield database


class PostgresProxy:
    """A TCP proxy on a loopback port in front of the server: stop it to play a server going down.

    ``stop()`` refuses new connections and cuts the open ones (as a server restart does);
    ``start()`` listens again on the same port. Runs on the test's event loop.
    """

    def __init__(self, upstream_host: str = HOST, upstream_port: int = PORT) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> PostgresProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in tuple(self._writers):
            writer.transport.abort()
        self._writers.clear()
        if server is not None:
            await server.wait_closed()

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_writer.transport.abort()
            return
        self._writers |= {client_writer, server_writer}

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                writer.transport.abort()
                self._writers.discard(writer)

        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))
