"""Event-driven: an order that reaches "shipped" starts one run of this DAG, with the order's record.

An ``AssetWatcher`` runs :class:`~triggers.events.OrderEventTrigger` on the seed's JSON order
database (on PostgreSQL, give it a ``SqlOrderCheck`` with ``notify_channel`` and it wakes on NOTIFY).
"""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, Asset, AssetWatcher
from example_settings import ORDERS_DB, default_args, seconds

from triggers.events import OrderEventTrigger
from triggers.orders import JsonOrderCheck

shipped_orders = Asset(
    "shipped_orders",
    watchers=[
        AssetWatcher(
            name="shipped_orders_watcher",
            trigger=OrderEventTrigger(
                check=JsonOrderCheck(order_ids=(1, 2, 3), expected_status="shipped", db_path=ORDERS_DB),
                interval=seconds(10),
            ),
        )
    ],
)


def notify_customer(triggering_asset_events: Any) -> list[str]:
    """Return one line per shipped order whose event started this run."""
    return [
        f"order {event.extra['payload']['order_id']} shipped: {event.extra['payload']['record']}"
        for event in triggering_asset_events[shipped_orders]
    ]


with DAG(
    dag_id="order_events",
    description="One run per order that ships, started by an AssetWatcher",
    default_args=default_args,
    schedule=[shipped_orders],
    catchup=False,
    tags=["example", "orders", "events"],
):
    PythonOperator(task_id="notify_customer", python_callable=notify_customer)
