"""End to end: OrderStatusSensor defers, holds no worker slot, and ends on the orders' changes.

One DAG run (dags/orders_status.py) holds the seed's scenario (JSON file, order 1 shipped after a
delay), a cancellation that fails at once, a SQLite table and a PostgreSQL table with NOTIFY.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import AirflowStack
from sandbox.ecommerce_db import set_status, setup_ecommerce_database, ship_order_later
from tests.support.postgres import PostgresDatabase, fresh_database
from tests.triggers.orders.tables import wait_for_backends
from triggers.orders import notify_trigger_sql
from triggers.sql.listen import LISTEN_APPLICATION

pytestmark = pytest.mark.postgres

DAG_ID = "orders_status"
POOL = "orders_e2e"
SENSORS = ("wait_for_shipping", "fail_on_cancel", "wait_in_sqlite", "wait_for_notify")
# The seed ships order 1 after 30 s; scaled down, counted from when every sensor is deferred.
SHIP_DELAY = 6.0
# Not a real credential: the server trusts local connections. It must never show up in the trigger.
PG_PASSWORD = "orders-e2e-s3cret"


@pytest.fixture(scope="module")
def orders_pg() -> Iterator[PostgresDatabase]:
    with fresh_database("ads_e2e_orders") as database:
        yield database


async def create_pg_orders(database: PostgresDatabase) -> None:
    connection = await database.connect()
    try:
        await connection.execute(
            "CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer, status text, total numeric(10, 2));"
            "INSERT INTO orders VALUES (1, 101, 'pending', 299.99), (2, 102, 'processing', 149.50);"
        )
        await connection.execute(notify_trigger_sql("orders", "order_status"))
    finally:
        await connection.close()


def create_sqlite_orders(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT, total REAL)")
        db.execute("INSERT INTO orders VALUES (1, 'pending', 299.99)")
    db.close()


def ship_in_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("UPDATE orders SET status = 'shipped' WHERE id = 1")
    db.close()


def wait_until_the_trigger_listens(stack: AirflowStack, run_id: str, database: PostgresDatabase) -> None:
    """Return once the notify sensor's trigger has checked (its log shows a second "not yet") and LISTENs."""
    deadline = time.monotonic() + 60
    while stack.task_log(DAG_ID, run_id, "wait_for_notify").count(": not yet (") < 2:
        assert time.monotonic() < deadline, stack.task_log(DAG_ID, run_id, "wait_for_notify")
        time.sleep(0.5)
    asyncio.run(wait_for_backends(database, LISTEN_APPLICATION))


def test_order_sensors_defer_without_a_slot_and_end_on_the_orders_changes(
    airflow_stack: AirflowStack, orders_pg: PostgresDatabase
) -> None:
    stack = airflow_stack
    stack.wait_for_dag(DAG_ID)
    stack.create_pool(POOL, 8)
    workdir = Path(tempfile.mkdtemp(prefix="orders-e2e-"))
    os.chmod(workdir, 0o755)
    db_path = workdir / "mock-ecommerce-db"
    setup_ecommerce_database(db_path, ship_delay=None)  # the seed's three orders; shipped below
    sqlite_path = workdir / "shop.sqlite"
    create_sqlite_orders(sqlite_path)
    stack.create_connection("orders_e2e_sqlite", "sqlite", host=str(sqlite_path))
    asyncio.run(create_pg_orders(orders_pg))
    stack.create_connection(
        "orders_e2e_pg",
        "postgres",
        host=orders_pg.host,
        port=orders_pg.port,
        login=orders_pg.user,
        password=PG_PASSWORD,
        schema=orders_pg.name,
    )

    run_id = stack.trigger_dag(DAG_ID, conf={"db_path": str(db_path)})
    for task in SENSORS:
        assert stack.wait_for_task_state(DAG_ID, run_id, task, "deferred", timeout=120) == "deferred"
        trigger = stack.task_instance(DAG_ID, run_id, task)["trigger"]
        assert trigger["classpath"] == "triggers.orders.trigger.DbPollTrigger", trigger
        assert PG_PASSWORD not in json.dumps(trigger)
    slots = stack.pool_slots(POOL)
    assert slots["running_slots"] == 0, slots
    assert slots["deferred_slots"] == len(SENSORS), slots

    shipping = threading.Thread(target=ship_order_later, args=(db_path, SHIP_DELAY))
    shipping.start()
    set_status(db_path, 2, "cancelled")
    ship_in_sqlite(sqlite_path)
    wait_until_the_trigger_listens(stack, run_id, orders_pg)
    asyncio.run(orders_pg.execute("UPDATE orders SET status = 'shipped' WHERE id = 1"))

    assert stack.wait_for_run(DAG_ID, run_id, timeout=180) == "failed"  # fail_on_cancel, as intended
    shipping.join()
    states = stack.task_states(DAG_ID, run_id)
    assert states == {
        "wait_for_shipping": "success",
        "ship_notice": "success",
        "fail_on_cancel": "failed",
        "wait_in_sqlite": "success",
        "wait_for_notify": "success",
    }, states

    order = stack.xcom(DAG_ID, run_id, "wait_for_shipping")
    assert {k: order[k] for k in ("id", "customer_id", "status", "total")} == {
        "id": 1,
        "customer_id": 101,
        "status": "shipped",
        "total": 299.99,
    }
    assert stack.xcom(DAG_ID, run_id, "ship_notice") == (f"order 1 for customer 101 shipped at {order['shipped_at']}")
    shipping_log = stack.task_log(DAG_ID, run_id, "wait_for_shipping")
    assert "not yet (order 1 is 'pending'), attempt 1" in shipping_log
    assert "met on attempt" in shipping_log

    cancel_log = stack.task_log(DAG_ID, run_id, "fail_on_cancel")
    assert "order 2 is 'cancelled', a final status" in cancel_log
    assert '"customer_id": 102' in cancel_log

    assert stack.xcom(DAG_ID, run_id, "wait_in_sqlite") == {"id": 1, "status": "shipped", "total": 299.99}
    assert stack.xcom(DAG_ID, run_id, "wait_for_notify") == {
        "id": 1,
        "status": "shipped",
        "customer_id": 101,
        "total": 299.99,
    }
    notify_report = stack.xcom(DAG_ID, run_id, "wait_for_notify", key="sensor_report")
    assert notify_report["outcome"] == "met"
    assert notify_report["interval"] >= 270  # the only planned poll was minutes away: NOTIFY woke it
    assert PG_PASSWORD not in stack.task_log(DAG_ID, run_id, "wait_for_notify")
