"""E2E DAG for triggerer failover: one sensor of every kind, all deferred at once (tests/e2e/failover).

Every path lives under ``$FAILOVER_E2E_DIR`` (set in the stack's environment by the test's
conftest, so it is fixed when the DAG is parsed); the HTTP checks go through the connection
``failover_http`` to the test's loopback server. Nothing is ready when the run starts; the test
makes the sources ready only after it has killed the triggerer holding the triggers, so every
sensor can only complete on the other one. ``wait_deadline`` never succeeds: it must fail at its
own deadline (``DEADLINE`` s after it started), not that plus the failover.
"""

from __future__ import annotations

import os
from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

from sensors import (
    AdaptiveFileSensor,
    APIHealthSensor,
    FileArrivalSensor,
    MultiSourceReadinessSensor,
    OrderStatusSensor,
)
from triggers.files import FileCheck
from triggers.http import HttpCheck

BASE = os.environ.get("FAILOVER_E2E_DIR", "/tmp/failover-e2e")
CONN = "failover_http"
TIMEOUT = 240
DEADLINE = 150  # tests/e2e/failover/test_triggerer_failover.py kills triggerer 1 before it
POLL = 2
MET_SENSORS = ("wait_order", "wait_api", "wait_sources", "wait_file", "wait_partner")


def _collect(ti: Any) -> dict[str, Any]:
    """Return every met sensor's XCom, as the downstream task saw it."""
    return {task: ti.xcom_pull(task_ids=task) for task in MET_SENSORS}


with DAG(dag_id="failover_batch", schedule=None, catchup=False, tags=["e2e", "failover"]):
    common: dict[str, Any] = {"poke_interval": POLL, "backoff_cap": POLL, "timeout": TIMEOUT}
    sensors = [
        OrderStatusSensor(
            task_id="wait_order", order_id=1, expected_status="shipped", db_path=f"{BASE}/shop", **common
        ),
        APIHealthSensor(
            task_id="wait_api",
            endpoint_url="/health",
            expected_response={"status": "healthy"},
            http_conn_id=CONN,
            request_timeout=5,
            **common,
        ),
        MultiSourceReadinessSensor(
            task_id="wait_sources",
            conditions={
                "logs": FileCheck(f"{BASE}/ml/logs/*.log", watch=False),
                "catalog": HttpCheck("/catalog", http_conn_id=CONN, fields=[("version", ">", 100)], request_timeout=5),
            },
            **common,
        ),
        FileArrivalSensor(task_id="wait_file", filepath=f"{BASE}/drop/orders.csv", stable_for=0, **common),
        AdaptiveFileSensor(
            task_id="wait_partner",
            filepath=f"{BASE}/partner/*.csv",
            initial_interval=POLL,
            min_interval=1,
            max_interval=4,
            history_size=200,  # room for every attempt of both triggerers: nothing is trimmed away
            stable_for=0,
            watch=False,
            timeout=TIMEOUT,
        ),
    ]
    sensors >> PythonOperator(task_id="collect", python_callable=_collect)
    FileArrivalSensor(
        task_id="wait_deadline",
        filepath=f"{BASE}/never/never.csv",
        poke_interval=POLL,
        backoff_cap=POLL,
        timeout=DEADLINE,
    )
