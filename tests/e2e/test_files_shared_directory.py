"""Twenty FileArrivalSensors deferred on one directory of a real stack share its listings.

Each report copies the directory's attempts, so sensors that waited together report the same
attempt times: one listing per tick, not twenty. Each sensor's "not yet" line reaches its own task
log, though one task of the triggerer listed for all of them.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from devstack import AirflowStack

DAG_ID = "files_shared_directory"
SENSORS = 20  # tests/e2e/dags/files_shared_directory.py


def test_twenty_deferred_file_sensors_on_one_directory_share_each_listing(airflow_stack: AirflowStack) -> None:
    stack = airflow_stack
    stack.wait_for_dag(DAG_ID)
    drop = Path(tempfile.mkdtemp(prefix="files-shared-e2e-"))
    os.chmod(drop, 0o755)
    run_id = stack.trigger_dag(DAG_ID, conf={"dir": str(drop)})
    tasks = [f"wait_{i:02d}" for i in range(SENSORS)]
    for task in tasks:
        assert stack.wait_for_task_state(DAG_ID, run_id, task, "deferred", timeout=120) == "deferred"
    time.sleep(8)  # a few ticks of the 2 s poll, all deferred together
    for i, task in enumerate(tasks[:3]):
        log = stack.task_log(DAG_ID, run_id, task)
        assert log.count(f"drop-{i:02d}.csv: not yet") >= 2, log  # the worker's check, then the trigger's
        others = [f"drop-{j:02d}.csv: not yet" for j in range(SENSORS) if j != i]
        assert not any(line in log for line in others), log  # said in its own context only
    for i in range(SENSORS):
        (drop / f"drop-{i:02d}.csv").write_text(f"id\n{i}\n")
    assert stack.wait_for_run(DAG_ID, run_id, timeout=120) == "success"
    reports = [stack.xcom(DAG_ID, run_id, task, key="sensor_report") for task in tasks]
    assert {r["outcome"] for r in reports} == {"met"}
    attempts = sum(r["attempts"] for r in reports)
    listings = {a["at"] for r in reports for a in r["history"]}
    print(f"\n[files shared e2e] {attempts} attempts over {SENSORS} sensors, {len(listings)} distinct listings")
    # unshared, every attempt is its own listing; shared, the sensors' attempts are the same listings
    assert attempts >= 3 * SENSORS
    assert len(listings) * 5 <= attempts, (len(listings), attempts)
