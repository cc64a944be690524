"""Orders in a real SQLite file, reached through an Airflow connection defined in the environment."""

import json
import sqlite3
import urllib.parse

import pytest

from tests.triggers.orders.tables import look, sql_check
from triggers.orders import SqlOrderCheck
from triggers.outcomes import Failed, Met, NotYet

CONN_ID = "orders_sqlite"


def create_orders(path, rows=((1, "pending", 299.99), (2, "shipped", 149.5))) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT, total REAL)")
        db.executemany("INSERT INTO orders VALUES (?, ?, ?)", rows)
    db.close()


def set_status(path, order_id, status) -> None:
    with sqlite3.connect(path) as db:
        db.execute("UPDATE orders SET status = ? WHERE id = ?", (status, order_id))
    db.close()


@pytest.fixture
def db_file(tmp_path, monkeypatch):
    path = tmp_path / "shop db.sqlite"
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", f"sqlite:///{urllib.parse.quote(str(path))}")
    return path


def order_check(*order_ids, **overrides) -> SqlOrderCheck:
    return sql_check(CONN_ID, *order_ids, **overrides)


async def test_an_order_is_met_when_its_row_reaches_the_status(db_file) -> None:
    create_orders(db_file)
    check = order_check()
    assert (await look(check)).reason == "order 1 is 'pending'"
    set_status(db_file, 1, "shipped")
    assert (await look(check)).value == {"id": 1, "status": "shipped", "total": 299.99}


async def test_a_connection_with_the_path_in_host_works_too(tmp_path, monkeypatch) -> None:
    path = tmp_path / "ui.sqlite"
    create_orders(path)
    monkeypatch.setenv("AIRFLOW_CONN_UI_SQLITE", json.dumps({"conn_type": "sqlite", "host": str(path)}))
    assert isinstance(await look(order_check(2, conn_id="ui_sqlite")), Met)


async def test_a_missing_database_file_is_not_yet_and_is_never_created(db_file) -> None:
    outcome = await look(order_check())
    assert isinstance(outcome, NotYet)
    assert outcome.error == "TransientError"
    assert not db_file.exists()
    create_orders(db_file)
    assert isinstance(await look(order_check(2)), Met)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param({"table": "no_such_table"}, "no such table", id="table"),
        pytest.param({"status_column": "state"}, "no such column", id="column"),
    ],
)
async def test_a_missing_table_or_column_fails_at_once(db_file, overrides, message) -> None:
    create_orders(db_file)
    outcome = await look(order_check(**overrides))
    assert isinstance(outcome, Failed)
    assert message in outcome.reason


async def test_quotes_and_sql_in_a_status_are_bound_and_harmless(db_file) -> None:
    status = "shipped'); DROP TABLE orders; --"
    create_orders(db_file, [(1, status, 1.0)])
    assert isinstance(await look(order_check()), NotYet)
    outcome = await look(order_check(expected_status=status))
    assert outcome.value["status"] == status
    with sqlite3.connect(db_file) as db:
        assert db.execute("SELECT count(*) FROM orders").fetchone() == (1,)
    db.close()


async def test_an_id_with_sql_in_it_is_bound_and_matches_nothing(db_file) -> None:
    create_orders(db_file)
    outcome = await look(order_check("1 OR 1=1"))
    assert isinstance(outcome, NotYet)
    assert outcome.detail["missing"] == ["1 OR 1=1"]


async def test_an_absent_order_and_a_null_status_are_not_yet(db_file) -> None:
    create_orders(db_file, [(1, None, 1.0)])
    outcome = await look(order_check(1, 9))
    assert outcome.reason.endswith("1 has no status yet; 9 not found")


async def test_columns_limit_the_record(db_file) -> None:
    create_orders(db_file)
    assert (await look(order_check(2, columns=("total",)))).value == {"id": 2, "status": "shipped", "total": 149.5}


async def test_a_cancelled_row_fails_at_once(db_file) -> None:
    create_orders(db_file, [(1, "refunded", 5.0)])
    outcome = await look(order_check())
    assert isinstance(outcome, Failed)
    assert "order 1 is 'refunded'" in outcome.reason


@pytest.mark.parametrize(
    ("conn_id", "env", "message"),
    [
        pytest.param("not_defined", None, "connection 'not_defined' is not defined", id="undefined"),
        pytest.param("web", "http://example.com", "is of type 'http'", id="wrong-type"),
        pytest.param("empty_sqlite", '{"conn_type": "sqlite"}', "names no database file", id="no-path"),
    ],
)
async def test_a_connection_that_cannot_work_fails_at_once(monkeypatch, conn_id, env, message) -> None:
    if env is not None:
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", env)
    outcome = await look(order_check(conn_id=conn_id))
    assert isinstance(outcome, Failed)
    assert message in outcome.reason


async def test_a_notify_channel_on_a_sqlite_connection_fails_at_once(db_file) -> None:
    create_orders(db_file)
    outcome = await look(order_check(notify_channel="order_status"))
    assert isinstance(outcome, Failed)
    assert "notify_channel needs a postgres connection" in outcome.reason
