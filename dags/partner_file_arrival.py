"""Seed Task 4: wait for a partner's file, polling at an interval learned from past runs.

The history lives in the Airflow Variable ``adaptive_sensor_history.partner_file_arrival.wait_for_partner_file``
(see the sensor's docs); set the Variable named by ``override_variable`` to a number of seconds
to force a faster interval while the sensor is already waiting.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG
from example_settings import PARTNER_DROP, default_args, seconds

from sensors import AdaptiveFileSensor


def ingest(ti: Any) -> str:
    """Return a line naming the file the sensor found."""
    found = ti.xcom_pull(task_ids="wait_for_partner_file")
    return f"ingesting {found['files'][0]['path']} ({found['files'][0]['size']} bytes)"


with DAG(
    dag_id="partner_file_arrival",
    description="Wait for a partner file with adaptive polling and an inotify wake-up",
    default_args=default_args,
    schedule=None,
    catchup=False,
    tags=["example", "files"],
):
    wait_for_partner_file = AdaptiveFileSensor(
        task_id="wait_for_partner_file",
        filepath=f"{PARTNER_DROP}/acme/orders_*.csv",
        initial_interval=int(seconds(60)),
        min_interval=int(seconds(30)),
        max_interval=int(seconds(300)),
        history_size=20,
        override_variable="partner_file_arrival_interval_override",
        timeout=seconds(3600),
    )
    wait_for_partner_file >> PythonOperator(task_id="ingest", python_callable=ingest)
