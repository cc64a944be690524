from collections.abc import Iterator

import pytest

from tests.support import mariadb, postgres
from tests.support.postgres import postgres_db  # noqa: F401  # the fixture, for the tests here
from tests.triggers.sql.databases import CONN_ID, Database, make

KINDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    pytest.param("mariadb", id="mariadb", marks=pytest.mark.mariadb),
]


@pytest.fixture(params=KINDS)
def database(request, tmp_path, monkeypatch) -> Iterator[Database]:
    """A fresh database of each kind with the jobs table, reachable as connection CONN_ID."""
    kind = request.param
    if kind == "postgres":
        with postgres.fresh_database() as handle:
            db = make(kind, handle)
            monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", db.uri)
            yield db
    elif kind == "mariadb":
        with mariadb.fresh_database() as handle:
            db = make(kind, handle)
            monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", db.uri)
            yield db
    else:
        db = make(kind, tmp_path / "jobs.sqlite")
        monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", db.uri)
        yield db
