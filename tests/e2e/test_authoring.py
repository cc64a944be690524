"""End to end: templated arguments render per run; a met wait ends in the triggerer; bad renderings fail at once.

Worker-slot seconds are read from the task log: a worker run opens with ``::group::Pre
Execute`` and closes with the ``::endgroup::`` after ``::group::Post Execute``. That span leaves
out the process start before the first record, so it is a lower bound of what a resume costs.
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import datetime
from pathlib import Path

from devstack import AirflowStack
from sandbox.ecommerce_db import set_status, write_orders

DAG_ID = "authoring"
POOL = "authoring_e2e"
SENSORS = ("wait_in_triggerer", "wait_then_resume")
_STAMP = re.compile(r"^(\S+)")


def orders_db() -> Path:
    workdir = Path(tempfile.mkdtemp(prefix="authoring-e2e-"))
    os.chmod(workdir, 0o755)
    db_path = workdir / "mock-ecommerce-db"
    write_orders(db_path)  # order 1 pending, order 2 processing
    return db_path


def worker_runs(log: str) -> list[float]:
    """Return the seconds of each worker run in a task try's log, in order."""
    runs: list[float] = []
    begun: datetime | None = None
    post = False
    for line in log.splitlines():
        stamp = _STAMP.match(line)
        if stamp is None:
            continue
        try:
            at = datetime.fromisoformat(stamp.group(1).replace("Z", "+00:00"))
        except ValueError:
            continue
        if "::group::Pre Execute" in line:
            begun, post = at, False
        elif "::group::Post Execute" in line:
            post = True
        elif "::endgroup::" in line and post and begun is not None:
            runs.append((at - begun).total_seconds())
            begun, post = None, False
    return runs


def test_conf_order_id_is_waited_for_and_the_wait_ends_in_the_triggerer(airflow_stack: AirflowStack) -> None:
    stack = airflow_stack
    stack.wait_for_dag(DAG_ID)
    stack.create_pool(POOL, 4)
    db_path = orders_db()
    invalid = stack.trigger_dag(DAG_ID, conf={"order_id": 2, "db_path": "relative/db"})
    run_id = stack.trigger_dag(DAG_ID, conf={"order_id": 2, "db_path": str(db_path)})

    for task in SENSORS:
        assert stack.wait_for_task_state(DAG_ID, run_id, task, "deferred", timeout=180) == "deferred"
        # the API hides trigger kwargs; the log names the order the trigger was given
        assert f"Deferring order 2 -> 'shipped' in {db_path}" in stack.task_log(DAG_ID, run_id, task)
    set_status(db_path, 1, "shipped")  # order 1 (what a literal or default would wait for) ships first
    assert stack.task_state(DAG_ID, run_id, "wait_in_triggerer") == "deferred"
    set_status(db_path, 2, "shipped")
    assert stack.wait_for_run(DAG_ID, run_id, timeout=180) == "success"

    assert stack.xcom(DAG_ID, run_id, "wait_in_triggerer")["id"] == 2
    assert stack.xcom(DAG_ID, run_id, "wait_in_triggerer", key="sensor_report")["outcome"] == "met"
    assert stack.xcom(DAG_ID, run_id, "read_order") == "order 2 is shipped"
    ended_log = stack.task_log(DAG_ID, run_id, "wait_in_triggerer")
    resumed_log = stack.task_log(DAG_ID, run_id, "wait_then_resume")
    assert "the triggerer ends the task as success (no worker)" in ended_log
    ended, resumed = worker_runs(ended_log), worker_runs(resumed_log)
    print(f"\n[authoring] worker runs (s): ended in triggerer {ended}; resumed on a worker {resumed}")
    assert len(ended) == 1, ended_log  # the run that deferred; nothing after it: 0 worker seconds
    assert len(resumed) == 2, resumed_log  # the deferral, then the resume
    assert resumed[1] > 0

    assert stack.wait_for_run(DAG_ID, invalid, timeout=180) == "failed"
    failed = stack.task_instance(DAG_ID, invalid, "wait_in_triggerer")
    assert (failed["state"], failed["try_number"]) == ("failed", 1), failed  # at once: no retry, no deferral
    failed_log = stack.task_log(DAG_ID, invalid, "wait_in_triggerer")
    assert "db_path: must be absolute" in failed_log
    assert "db_path='relative/db'" in failed_log
