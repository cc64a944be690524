"""E2E DAG for OrderStatusSensor: the seed's Task 1 and its SQL variants wait side by side in the triggerer.

The run's conf names the seed's mock database directory (``{"db_path": ...}``); the test
(tests/e2e/test_orders_status.py) writes it with ``sandbox.ecommerce_db``, creates the
connections ``orders_e2e_sqlite`` and ``orders_e2e_pg``, and changes the orders while the
sensors are deferred. All tasks run in the pool ``orders_e2e`` so its slot counts are ours.

- ``wait_for_shipping``: the seed's scenario, order 1 shipped a few seconds later; a downstream
  task reads the order record from its XCom.
- ``fail_on_cancel``: order 2 is cancelled while it waits; it fails at once, quoting the order.
- ``wait_in_sqlite``: order 1 of a SQLite table reached through a connection.
- ``wait_for_notify``: order 1 of a PostgreSQL table with a NOTIFY trigger; it polls every
  300 s but times out after 120 s, so its success shows a notification woke it.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

from sensors import OrderStatusSensor

POOL = "orders_e2e"
TIMEOUT = 120


def _ship_notice(ti: Any) -> str:
    """Return a line built from the shipped order the sensor handed downstream."""
    order = ti.xcom_pull(task_ids="wait_for_shipping")
    return f"order {order['id']} for customer {order['customer_id']} shipped at {order['shipped_at']}"


# What every sensor here shares: the status waited for, a short poll, the test's pool.
COMMON: dict[str, Any] = {"expected_status": "shipped", "poke_interval": 2, "timeout": TIMEOUT, "pool": POOL}
DB_PATH = "{{ dag_run.conf['db_path'] }}"

with DAG(dag_id="orders_status", schedule=None, catchup=False, tags=["e2e", "orders"]):
    shipped = OrderStatusSensor(task_id="wait_for_shipping", order_id=1, db_path=DB_PATH, **COMMON)
    shipped >> PythonOperator(task_id="ship_notice", python_callable=_ship_notice, pool=POOL)
    OrderStatusSensor(task_id="fail_on_cancel", order_id=2, db_path=DB_PATH, **COMMON)
    OrderStatusSensor(task_id="wait_in_sqlite", order_id=1, conn_id="orders_e2e_sqlite", **COMMON)
    OrderStatusSensor(
        task_id="wait_for_notify",
        order_id=1,
        conn_id="orders_e2e_pg",
        notify_channel="order_status",
        columns=["customer_id", "total"],
        **{**COMMON, "poke_interval": 300},
    )
