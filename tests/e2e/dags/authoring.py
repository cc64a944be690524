"""E2E DAG for authoring (tests/e2e/test_authoring.py): templated arguments and waits that end in the triggerer.

The run's conf names the order and the mock database (``{"order_id": 2, "db_path": ...}``).
``wait_in_triggerer`` ends the task in the triggerer when the order ships (no worker resumes);
``wait_then_resume`` is the same wait, resuming on a worker as every met wait did before, so the test
can compare the worker time each costs after deferral. ``read_order`` reads the first one's XCom.
``retries=1`` shows that a rendered value that cannot be valid fails at once, without a retry.
"""

from __future__ import annotations

import json
from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

from sensors import OrderStatusSensor

POOL = "authoring_e2e"


def _read_order(ti: Any) -> str:
    """Return a line built from the order record the sensor handed downstream.

    Airflow 3.3.2 hands over an XCom pushed by a task-end event as JSON text.
    """
    order = ti.xcom_pull(task_ids="wait_in_triggerer")
    order = json.loads(order) if isinstance(order, str) else order
    return f"order {order['id']} is {order['status']}"


TEMPLATED: dict[str, Any] = {
    "order_id": "{{ dag_run.conf['order_id'] }}",
    "db_path": "{{ dag_run.conf['db_path'] }}",
    "expected_status": "shipped",
    "poke_interval": 1,
    "timeout": 120,
    "pool": POOL,
}

with DAG(dag_id="authoring", schedule=None, catchup=False, tags=["e2e"], default_args={"retries": 1}):
    ended = OrderStatusSensor(task_id="wait_in_triggerer", end_in_triggerer=True, **TEMPLATED)
    ended >> PythonOperator(task_id="read_order", python_callable=_read_order, pool=POOL)
    OrderStatusSensor(task_id="wait_then_resume", end_in_triggerer=False, **TEMPLATED)
