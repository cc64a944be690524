"""Sensor composition: wait for ``(order shipped & behaviour logs) | inventory snapshot``.

Any check the library ships is a condition, and conditions combine with ``&``, ``|`` and ``~``
(or AllOf / AnyOf / AtLeast / Not), nesting as deep as needed.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG
from example_settings import ML_DATA, ORDERS_DB, default_args, seconds

from sensors import MultiSourceReadinessSensor
from triggers.files import FileCheck
from triggers.gather import JsonDateCheck
from triggers.orders import JsonOrderCheck


def decide(ti: Any) -> str:
    """Return which branch of the composed condition let the run through."""
    ready = ti.xcom_pull(task_ids="wait_for_either")
    return f"ready through {sorted(ready)}"


shipped_with_logs = JsonOrderCheck(order_ids=(1,), expected_status="shipped", db_path=ORDERS_DB) & FileCheck(
    path=f"{ML_DATA}/behavior/*.log", max_age=3600
)
inventory_today = JsonDateCheck(path=f"{ML_DATA}/inventory/snapshot.json", field="date")

with DAG(
    dag_id="sensor_composition",
    description="Combine other sensors' checks into one deferrable wait",
    default_args=default_args,
    schedule=None,
    catchup=False,
    tags=["example", "composition"],
):
    wait_for_either = MultiSourceReadinessSensor(
        task_id="wait_for_either",
        conditions={"shipped_with_logs": shipped_with_logs, "inventory_today": inventory_today},
        require_all=False,
        poke_interval=seconds(10),
        timeout=seconds(1800),
    )
    wait_for_either >> PythonOperator(task_id="decide", python_callable=decide)
