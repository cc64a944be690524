"""One trigger rebuilt from kwargs it cannot use fails its task; the triggerer keeps running the rest.

Airflow 3.3's triggerer stops its whole runner when a trigger constructor raises anything but
TypeError. Before the fix this test failed: the runner died on the bad trigger and none of the 20
healthy sensors completed.
"""

from __future__ import annotations

import os
from pathlib import Path

from devstack import AirflowStack

DAG_ID = "core_bad_trigger"
HEALTHY = [f"healthy_{number:02d}" for number in range(20)]
BAD = "from_another_release"


def test_an_unusable_trigger_fails_alone_and_the_triggerer_keeps_running(
    airflow_stack: AirflowStack, tmp_path: Path
) -> None:
    stack = airflow_stack
    stack.wait_for_dag(DAG_ID)
    run_id = stack.trigger_dag(DAG_ID, conf={"dir": str(tmp_path)})
    for task_id in HEALTHY:
        stack.wait_for_task_state(DAG_ID, run_id, task_id, "deferred", timeout=300)
    assert stack.wait_for_task_state(DAG_ID, run_id, BAD, "failed", timeout=180) == "failed"

    # After the bad trigger was loaded and failed, the same triggerer still completes the others.
    for number in range(20):
        (tmp_path / f"ready-{number:02d}.csv").write_text("a,b\n")
    assert stack.wait_for_run(DAG_ID, run_id, timeout=300) == "failed"  # the bad task failed the run
    states = stack.task_states(DAG_ID, run_id)
    assert {task_id: states[task_id] for task_id in HEALTHY} == dict.fromkeys(HEALTHY, "success"), states
    bad = stack.task_instance(DAG_ID, run_id, BAD)
    assert bad is not None
    assert (bad["state"], bad["try_number"]) == ("failed", 1), bad

    log = stack.task_log(DAG_ID, run_id, BAD)
    assert "FileWatchTrigger cannot use its arguments" in log
    assert "argument 'check'" in log
    assert "file_from_release_99" in log

    os.kill(stack.pid_of("triggerer"), 0)  # raises if the triggerer process is gone
    assert stack.health()["triggerer"]["status"] == "healthy"
    triggerer_log = stack.log_path("triggerer").read_text(errors="replace")
    assert "Trigger runner failed" not in triggerer_log
