"""E2E DAG: twenty FileArrivalSensors on files of one directory (tests/e2e/test_files_shared_directory.py).

Deferred in one triggerer, they share the directory's listings: one listing per tick serves all of
them. The run's conf names the directory (``{"dir": ...}``); the test writes the files.
"""

from __future__ import annotations

from airflow.sdk import DAG

from sensors import FileArrivalSensor

SENSORS = 20

with DAG(
    dag_id="files_shared_directory", schedule=None, catchup=False, max_active_tasks=SENSORS, tags=["e2e", "files"]
):
    for i in range(SENSORS):
        FileArrivalSensor(
            task_id=f"wait_{i:02d}",
            filepath=f"{{{{ dag_run.conf['dir'] }}}}/drop-{i:02d}.csv",
            stable_for=0,
            poke_interval=2,
            timeout=300,
        )
