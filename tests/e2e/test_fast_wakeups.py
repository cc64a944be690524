"""Sensors met moments after they defer all succeed on the real stack (Airflow's defer-resume race).

Without the settle hold (``triggers/settle.py``) Airflow 3.3.2 can fail such a task when the
scheduler queues its resumed attempt before it has read the worker's exit on ``defer()``.
``python -m benchmarks.fast_wakeups`` runs the same workload at 200 sensors, three times.
"""

from __future__ import annotations

import pytest

from benchmarks.fast_wakeups import CONN_ID, run_once
from devstack import AirflowStack
from sandbox.api_server import BackgroundServer
from sandbox.wake_api import WakeApi

DAG_ID = "fast_wakeups_e2e"
SENSORS = 50  # tests/e2e/dags/fast_wakeups.py


@pytest.mark.timeout(1200)  # 100 task starts on a shared 2-core machine
def test_sensors_met_right_after_deferring_all_succeed(airflow_stack: AirflowStack) -> None:
    stack = airflow_stack
    api = WakeApi()
    with BackgroundServer(api.app) as server:
        stack.create_connection(CONN_ID, "http", host="127.0.0.1", port=server.port)
        stack.wait_for_dag(DAG_ID)
        result = run_once(stack, api, SENSORS, DAG_ID)
    print(f"\n[fast wake-ups e2e] {result}")
    assert result.deferred_first == SENSORS, result  # each deferred, then its trigger's first check was met
    assert result.states == {"success": SENSORS}, result
    assert result.mismatches == 0, result
