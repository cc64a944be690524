from collections.abc import Iterator

import pytest

from tests.support import mariadb, postgres
from tests.support.postgres import postgres_db  # noqa: F401  # the fixture, for the tests here
from tests.triggers.sql.databases import CONN_ID, Database, make

SQLITE = pytest.param("sqlite", id="sqlite")
SERVERS = [
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    pytest.param("mariadb", id="mariadb", marks=pytest.mark.mariadb),
]


def _database(kind: str, tmp_path, monkeypatch) -> Iterator[Database]:
    """A fresh database of ``kind`` with the jobs table, reachable as connection CONN_ID."""
    fresh = {"postgres": postgres.fresh_database, "mariadb": mariadb.fresh_database}.get(kind)
    if fresh is None:
        db = make(kind, tmp_path / "jobs.sqlite")
        monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", db.uri)
        yield db
        return
    with fresh() as handle:
        db = make(kind, handle)
        monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", db.uri)
        yield db


@pytest.fixture(params=[SQLITE, *SERVERS])
def database(request, tmp_path, monkeypatch) -> Iterator[Database]:
    """Each of SQLite, PostgreSQL and MariaDB in turn."""
    yield from _database(request.param, tmp_path, monkeypatch)


@pytest.fixture(params=SERVERS)
def server(request, tmp_path, monkeypatch) -> Iterator[Database]:
    """PostgreSQL and MariaDB in turn: what has sessions and credentials (SQLite has neither)."""
    yield from _database(request.param, tmp_path, monkeypatch)
