"""E2E DAGs for MultiSourceReadinessSensor: the seed's ML scenario (driven by tests/e2e/test_multi_sources.py).

The test writes the seed's data sources (behaviour logs, then the inventory snapshot) under
``ML_DATA_DIR`` (tests/e2e/conftest.py gives each stack its own; otherwise the seed's /tmp/ml-data)
and serves the product catalog through the connection ``multi_catalog_api``.

``multi_ml_sources`` waits for all three sources (declarative checks), for any one (the seed's
plain functions, imported by dotted path in the triggerer) and for two of three, then "trains".
``multi_ml_strict`` gives the inventory snapshot 3 s: all-mode fails at once, naming it.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

from sandbox.ml_data import MlDataPaths
from sensors import MultiSourceReadinessSensor
from triggers.conditions import behaviour_logs_ready, inventory_snapshot_today, ml_data_dir
from triggers.files import FileCheck
from triggers.gather import JsonDateCheck
from triggers.http import HttpCheck

PATHS = MlDataPaths(ml_data_dir())
SOURCES = {
    "behaviour_logs": FileCheck(f"{PATHS.behaviour_dir}/*.log", max_age=3600),
    "product_catalog": HttpCheck(
        "/api/catalog", http_conn_id="multi_catalog_api", fields=[("catalog.version", ">", 100)], request_timeout=5
    ),
    "inventory_snapshot": JsonDateCheck(str(PATHS.snapshot)),
}
TIMING = {"poke_interval": 1, "backoff_cap": 2, "timeout": 180}


def _train(**context: Any) -> list[str]:
    """Return the sources the model would train on (what the all-mode sensor said was ready)."""
    return sorted(context["ti"].xcom_pull(task_ids="wait_all_sources"))


# The three sensors of this DAG wait in a pool of their own, so the test reads their slots alone.
POOL = "multi_e2e"

with DAG(dag_id="multi_ml_sources", schedule=None, catchup=False, tags=["e2e", "multi"]):
    wait_all = MultiSourceReadinessSensor(task_id="wait_all_sources", conditions=SOURCES, pool=POOL, **TIMING)
    MultiSourceReadinessSensor(
        task_id="wait_any_source",
        conditions={
            "behaviour_logs": behaviour_logs_ready,
            "product_catalog": SOURCES["product_catalog"],
            "inventory_snapshot": inventory_snapshot_today,
        },
        require_all=False,
        pool=POOL,
        **TIMING,
    )
    MultiSourceReadinessSensor(task_id="wait_two_sources", conditions=SOURCES, min_ready=2, pool=POOL, **TIMING)
    wait_all >> PythonOperator(task_id="train_model", python_callable=_train)

with DAG(dag_id="multi_ml_strict", schedule=None, catchup=False, tags=["e2e", "multi"]):
    MultiSourceReadinessSensor(
        task_id="wait_all_sources", conditions=SOURCES, condition_timeouts={"inventory_snapshot": 3}, **TIMING
    )
