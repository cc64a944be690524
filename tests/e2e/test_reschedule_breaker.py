"""Reschedule mode on a real stack: the circuit breaker opens across reschedules and then spares the API.

Each reschedule runs the sensor in a new worker process with a new operator; before this, the
breaker lived on the operator and never opened in reschedule mode.
"""

from __future__ import annotations

import pytest

from devstack import AirflowStack
from tests.support.http_server import LoopbackServer, Reply

DAG_ID = "reschedule_breaker"
TASK_ID = "wait_for_api"
THRESHOLD = 3  # the DAG's failure_threshold


def _scheduler_race(stack: AirflowStack) -> bool:
    """Say whether the scheduler failed this DAG's sensor on a stale executor success."""
    log = (stack.logs_dir / "scheduler.log").read_text(errors="replace")
    return any(DAG_ID in line and "but the task instance's state attribute is" in line for line in log.splitlines())


@pytest.mark.airflow_min("3.3")  # the task state store carries the breaker between reschedules
def test_the_breaker_opens_across_reschedules_and_stops_the_calls(airflow_stack: AirflowStack) -> None:
    stack = airflow_stack
    with LoopbackServer() as api:
        api.script("/health", Reply(503, body="down for maintenance"))
        stack.create_connection("reschedule_e2e_api", "http", host="127.0.0.1", port=api.port)
        stack.wait_for_dag(DAG_ID)
        run_id = stack.trigger_dag(DAG_ID)

        assert stack.wait_for_run(DAG_ID, run_id, timeout=240) == "failed"
        calls = api.count("/health")
    log = stack.task_log(DAG_ID, run_id, TASK_ID)
    print(f"\n[reschedule e2e] API calls: {calls}\n{log[-3000:]}")
    assert not _scheduler_race(stack), (
        "Airflow's scheduler failed the sensor on a late executor event (apache/airflow#71172), "
        "not this library; the poke interval is meant to leave it room"
    )
    assert calls == THRESHOLD, log  # three errors opened the breaker; no call after that
    assert f"circuit breaker closed -> open after {THRESHOLD} consecutive errors" in log, log
    assert "circuit breaker open, skipping this check" in log, log  # a later reschedule ran, and spared the API
    assert "Sensor has timed out" in log or "AirflowSensorTimeout" in log, log
