"""Seed Task 3: train only when behaviour logs, the product catalog and the inventory are all ready.

The behaviour-log condition is a plain function, as in the seed; it ships in the installed package
(``triggers.conditions``) because the triggerer imports it by its dotted path, and a DAG that
copies this file needs nothing else. The other two are declarative checks.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG
from example_settings import API_URL, ML_DATA, default_args, seconds

from sensors import MultiSourceReadinessSensor
from triggers.conditions import behaviour_logs_ready
from triggers.gather import JsonDateCheck
from triggers.http import FieldExpectation, HttpCheck


def train_model(ti: Any) -> str:
    """Return a line naming the inputs the sensor reported ready."""
    ready = ti.xcom_pull(task_ids="wait_for_sources")
    return f"training on catalog v{ready['product_catalog']['json']['catalog']['version']} with {sorted(ready)}"


with DAG(
    dag_id="ml_readiness",
    description="Wait for three data sources before training a model",
    default_args=default_args,
    schedule=None,
    catchup=False,
    tags=["example", "multi-source"],
):
    wait_for_sources = MultiSourceReadinessSensor(
        task_id="wait_for_sources",
        conditions={
            "behaviour_logs": behaviour_logs_ready,
            "product_catalog": HttpCheck(
                url=f"{API_URL}/api/catalog", fields=(FieldExpectation(path="catalog.version", op=">", value=100),)
            ),
            "inventory_snapshot": JsonDateCheck(path=f"{ML_DATA}/inventory/snapshot.json", field="date"),
        },
        require_all=True,
        condition_timeouts={"inventory_snapshot": int(seconds(1800))},
        poke_interval=seconds(10),
        timeout=seconds(3600),
    )
    wait_for_sources >> PythonOperator(task_id="train_model", python_callable=train_model)
