"""Seed Task 1: wait for order 1 to ship, then process it with the order record from the XCom."""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG
from example_settings import ORDERS_DB, default_args, seconds

from sensors import OrderStatusSensor


def process_order(ti: Any) -> str:
    """Return a line about the shipped order the sensor handed over."""
    order = ti.xcom_pull(task_ids="wait_for_shipment")
    return f"processing order {order['id']} for customer {order['customer_id']}: {order['total']:.2f} shipped"


with DAG(
    dag_id="order_processing",
    description="Wait for an order to reach 'shipped', then process it",
    default_args=default_args,
    schedule=None,
    catchup=False,
    tags=["example", "orders"],
):
    wait_for_shipment = OrderStatusSensor(
        task_id="wait_for_shipment",
        order_id=1,
        expected_status="shipped",
        db_path=ORDERS_DB,
        poke_interval=seconds(10),
        timeout=seconds(600),
    )
    wait_for_shipment >> PythonOperator(task_id="process_order", python_callable=process_order)
