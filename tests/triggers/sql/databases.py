"""One face for the three databases the SQL query check reads: set-up, a killed session, bad credentials.

``Database`` objects are made by the ``database`` fixture in conftest.py, one per kind; each
has a connection ``conn_id`` registered through ``AIRFLOW_CONN_<ID>``.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.mariadb import MariaDatabase
from tests.support.postgres import PostgresDatabase
from tests.triggers.orders.tables import backends
from triggers.sql.postgres import QUERY_APPLICATION

CONN_ID = "sql_test_db"
SECRET = "not-the-real-pa55word"
JOBS = "CREATE TABLE jobs (id integer PRIMARY KEY, status varchar(200), n integer)"


@dataclass
class Database:
    """A fresh database of one kind with a ``jobs`` table (id, status, n)."""

    kind: str
    handle: Any

    def run(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Run one statement written with %s placeholders; return its rows."""
        if self.kind == "postgres":
            numbered = sql
            for position in range(1, len(args) + 1):
                numbered = numbered.replace("%s", f"${position}", 1)
            return asyncio.run(_pg_rows(self.handle, numbered, args))
        if self.kind == "mariadb":
            return self.handle.run(sql, *args)
        with sqlite3.connect(self.handle) as db:
            rows = db.execute(sql.replace("%s", "?"), args).fetchall()
        db.close()
        return rows

    @property
    def uri(self) -> str:
        if self.kind == "postgres":
            return self.handle.airflow_uri
        if self.kind == "mariadb":
            return self.handle.airflow_uri
        return f"sqlite:///{self.handle}"

    def uri_with_bad_credentials(self) -> str:
        """Return a URI whose credentials the server refuses (the password must never be shown)."""
        if self.kind == "postgres":  # trust auth here: an unknown role is what gets refused
            return self.uri.replace("postgres://postgres@", f"postgres://no_such_role:{SECRET}@")
        return self.uri.replace("mysql://root@", f"mysql://root:{SECRET}@")

    async def kill_sessions(self) -> list[int]:
        """Kill the check's pooled server sessions (pg_terminate_backend / KILL); return their ids."""
        if self.kind == "postgres":
            pids = await backends(self.handle, QUERY_APPLICATION)
            for pid in pids:
                await self.handle.execute("SELECT pg_terminate_backend($1)", pid)
            return pids
        ids = await asyncio.to_thread(self.handle.sessions)
        for session in ids:
            await asyncio.to_thread(self.handle.run, f"KILL {int(session)}")
        return ids

    async def sessions(self) -> list[int]:
        if self.kind == "postgres":
            return await backends(self.handle, QUERY_APPLICATION)
        return await asyncio.to_thread(self.handle.sessions)


async def _pg_rows(database: PostgresDatabase, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    connection = await database.connect()
    try:
        return [tuple(record.values()) for record in await connection.fetch(sql, *args)]
    finally:
        await connection.close()


def make(kind: str, handle: PostgresDatabase | MariaDatabase | Path) -> Database:
    database = Database(kind, str(handle) if isinstance(handle, Path) else handle)
    database.run(JOBS)
    database.run("INSERT INTO jobs VALUES (1, 'running', 0), (2, 'done', 5)")
    return database
