"""A deferred sensor that times out: failed without retry, or skipped with soft_fail."""

from __future__ import annotations

from pathlib import Path

from devstack import AirflowStack


def test_a_timed_out_sensor_fails_without_retry_or_skips_with_soft_fail(
    airflow_stack: AirflowStack, tmp_path: Path
) -> None:
    stack = airflow_stack
    runs = {}
    for dag_id in ("core_timeout_fails", "core_timeout_soft"):
        stack.wait_for_dag(dag_id)
        runs[dag_id] = stack.trigger_dag(dag_id, conf={"dir": str(tmp_path)})
    for dag_id, run_id in runs.items():
        stack.wait_for_task_state(dag_id, run_id, "wait", "deferred", timeout=120)

    assert stack.wait_for_run("core_timeout_fails", runs["core_timeout_fails"], timeout=180) == "failed"
    failed = stack.task_instance("core_timeout_fails", runs["core_timeout_fails"], "wait")
    assert failed is not None
    assert (failed["state"], failed["try_number"]) == ("failed", 1), failed
    assert "timed out" in stack.task_log("core_timeout_fails", runs["core_timeout_fails"], "wait").lower()

    stack.wait_for_run("core_timeout_soft", runs["core_timeout_soft"], timeout=180)
    states = stack.task_states("core_timeout_soft", runs["core_timeout_soft"])
    assert states == {"wait": "skipped", "after": "skipped"}, states
