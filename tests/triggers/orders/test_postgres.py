"""Orders in this machine's PostgreSQL: answers, credentials, and connections that fail or drop mid-wait."""

import asyncio
import socket
import time

import pytest

from tests.support.postgres import PostgresProxy
from tests.triggers.orders.tables import (
    create_orders,
    look,
    set_status,
    sql_check,
    terminate_and_await_replacement,
    wait_for_backends,
)
from triggers.cadence import Fixed
from triggers.orders import DbPollTrigger, SqlOrderCheck
from triggers.outcomes import Failed, NotYet
from triggers.sql.postgres import QUERY_APPLICATION

pytestmark = pytest.mark.postgres

CONN_ID = "orders_pg"


@pytest.fixture
async def orders_db(postgres_db, monkeypatch):
    await create_orders(postgres_db)
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", postgres_db.airflow_uri)
    return postgres_db


def order_check(*order_ids, **overrides) -> SqlOrderCheck:
    return sql_check(CONN_ID, *order_ids, **overrides)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_an_order_is_met_with_its_row_as_json(orders_db) -> None:
    check = order_check()
    assert (await look(check)).reason.startswith("order 1 is 'pending'")
    await set_status(orders_db, 1, "shipped")
    assert (await look(check)).value == {
        "id": 1,
        "customer_id": 101,
        "status": "shipped",
        "total": 299.99,
        "created_at": "2024-01-01T10:00:00+00:00",
    }


async def test_several_orders_and_chosen_columns(orders_db) -> None:
    for order_id in (1, 2):
        await set_status(orders_db, order_id, "shipped")
    outcome = await look(order_check(2, 1, columns=("total",)))
    assert outcome.value == [
        {"id": 2, "status": "shipped", "total": 149.5},
        {"id": 1, "status": "shipped", "total": 299.99},
    ]


async def test_a_cancelled_order_fails_at_once_with_the_order(orders_db) -> None:
    await set_status(orders_db, 3, "cancelled")
    outcome = await look(order_check(3))
    assert isinstance(outcome, Failed)
    assert "order 3 is 'cancelled', a final status, in table orders of connection orders_pg: {\"created_at\"" in (
        outcome.reason
    )


async def test_quotes_and_sql_in_a_status_are_bound_and_harmless(orders_db) -> None:
    status = "shipped'); DROP TABLE orders; --"
    await set_status(orders_db, 1, status)
    assert isinstance(await look(order_check()), NotYet)
    assert (await look(order_check(expected_status=status))).value["status"] == status
    assert await orders_db.execute("SELECT 1 FROM orders") == "SELECT 3"


async def test_a_refused_connection_is_not_yet(monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_DOWN_PG", f"postgres://postgres@127.0.0.1:{closed_port()}/x")
    outcome = await look(order_check(conn_id="down_pg"))
    assert isinstance(outcome, NotYet)
    assert outcome.error == "TransientError"
    assert "is not reachable" in outcome.reason


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        pytest.param(
            "postgres://no_such_role:pw@127.0.0.1:5432/{db}", "refused the connection's credentials", id="role"
        ),
        pytest.param(
            "postgres://postgres@127.0.0.1:5432/{db}_missing", "refused the connection's credentials", id="db"
        ),
    ],
)
async def test_wrong_credentials_fail_at_once(orders_db, monkeypatch, uri, message) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_WRONG_PG", uri.format(db=orders_db.name))
    outcome = await look(order_check(conn_id="wrong_pg"))
    assert isinstance(outcome, Failed)
    assert message in outcome.reason
    assert "pw" not in outcome.reason


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param({"table": "no_such_table"}, "UndefinedTableError", id="table"),
        pytest.param({"status_column": "state"}, "UndefinedColumnError", id="column"),
        pytest.param({"order_ids": ("A-1",)}, "do not fit the id column's type", id="id-type"),
    ],
)
async def test_a_query_that_can_never_work_fails_at_once(orders_db, overrides, message) -> None:
    outcome = await look(order_check(**overrides))
    assert isinstance(outcome, Failed)
    assert message in outcome.reason


def trigger_for(check: SqlOrderCheck, *, interval: float, wait: float) -> DbPollTrigger:
    return DbPollTrigger(check=check.to_dict(), cadence=Fixed(interval).to_dict(), deadline=time.time() + wait)


async def test_a_terminated_backend_mid_wait_is_replaced_and_the_wait_goes_on(orders_db) -> None:
    waiting = asyncio.ensure_future(trigger_for(order_check(), interval=0.05, wait=30).make_loop().run())
    await terminate_and_await_replacement(orders_db, QUERY_APPLICATION)
    await set_status(orders_db, 1, "shipped")
    report = await waiting
    assert report.outcome == "met"


async def test_a_server_restart_mid_wait_is_not_yet_until_it_is_back(orders_db, monkeypatch) -> None:
    proxy = await PostgresProxy().start()
    monkeypatch.setenv("AIRFLOW_CONN_PROXIED_PG", orders_db.airflow_uri.replace(":5432/", f":{proxy.port}/"))
    loop = trigger_for(order_check(conn_id="proxied_pg"), interval=0.05, wait=30).make_loop()
    waiting = asyncio.ensure_future(loop.run())
    await wait_for_backends(orders_db, QUERY_APPLICATION)
    await proxy.stop()  # the server goes away: open connections cut, new ones refused
    await asyncio.sleep(0.5)
    await set_status(orders_db, 1, "shipped")
    await proxy.start()  # back on the same port
    report = await asyncio.wait_for(waiting, 30)
    await proxy.stop()
    assert report.outcome == "met"
    assert {a.error for a in report.history} >= {"TransientError"}


async def test_the_query_pool_closes_when_the_wait_ends(orders_db) -> None:
    await set_status(orders_db, 1, "shipped")
    report = await trigger_for(order_check(), interval=0.05, wait=30).make_loop().run()
    assert report.outcome == "met"
    await wait_for_backends(orders_db, QUERY_APPLICATION, count=0)
