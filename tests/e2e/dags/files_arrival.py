"""E2E DAG for the file sensors: two FileArrivalSensors wait in the triggerer, then a task reads their XComs.

The run's conf names the drop directory (``{"dir": ...}``); the test writes the files.
``wait_orders`` waits for a partner's chunked upload and its ``.done`` marker; ``wait_behavior``
waits for a log in a directory that does not exist when the run starts (the seed's Task 3
condition: files in ``behavior/`` newer than one hour). The 30 s poll is far longer than the
test waits, so a success shows inotify woke the triggers.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

from sensors import FileArrivalSensor

POLL = 30
TIMEOUT = 180
POOL = "files_e2e"  # the sensors' own: the test reads their slots alone


def _arrived(ti: Any) -> dict[str, Any]:
    """Return the paths the two sensors handed downstream."""
    return {task: ti.xcom_pull(task_ids=task)["files"][0]["path"] for task in ("wait_orders", "wait_behavior")}


with DAG(dag_id="files_arrival", schedule=None, catchup=False, tags=["e2e", "files"]):
    orders = FileArrivalSensor(
        task_id="wait_orders",
        filepath="{{ dag_run.conf['dir'] }}/partner/orders.csv",
        marker_suffix=".done",
        poke_interval=POLL,
        timeout=TIMEOUT,
        pool=POOL,
    )
    behavior = FileArrivalSensor(
        task_id="wait_behavior",
        filepath="{{ dag_run.conf['dir'] }}/ml-data/behavior/*.log",
        max_age=3600,
        stable_for=1,
        poke_interval=POLL,
        timeout=TIMEOUT,
        pool=POOL,
    )
    report = PythonOperator(task_id="report", python_callable=_arrived)
    [orders, behavior] >> report
