"""APIHealthSensor on the real Airflow stack against the seed's mock API, scaled down (30 s cycles).

The API starts in maintenance (15 s of 503 with Retry-After); the sensor defers, holds no worker
slot, and succeeds once healthy. The bearer token travels only through the Airflow connection:
it appears in no trigger kwargs, XCom or task log.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from devstack import AirflowStack
from sandbox.api_server import BackgroundServer, make_app, starting_in_maintenance

DAG_ID = "http_api_health"
TOKEN = "e2e-bearer-4b9d0c2a7f"
POOL = "http_e2e_health"  # wait_for_health's own pool (dags/http_api_health.py)
CYCLE = 30.0  # the seed's 120 s scaled down: 15 s maintenance, then 15 s healthy


@pytest.fixture
def mock_api() -> Iterator[BackgroundServer]:
    """The mock API with a bearer token, port free; its maintenance half starts when the test starts."""
    schedule = starting_in_maintenance(CYCLE, retry_after=True, catalog_start=95, catalog_step=1.0)
    with BackgroundServer(make_app(schedule, token=TOKEN)) as server:
        yield server


def test_the_sensor_defers_through_maintenance_and_succeeds_when_healthy(
    airflow_stack: AirflowStack, mock_api: BackgroundServer
) -> None:
    stack = airflow_stack  # requested first: the stack is up before the API's clock starts
    stack.create_connection("http_e2e_api", "http", host="127.0.0.1", port=mock_api.port, password=TOKEN)
    stack.create_connection("http_e2e_wrong_token", "http", host="127.0.0.1", port=mock_api.port, password="nope-x1")
    stack.wait_for_dag(DAG_ID)
    stack.create_pool(POOL, 1)
    run_id = stack.trigger_dag(DAG_ID)

    assert stack.wait_for_task_state(DAG_ID, run_id, "wait_for_health", "deferred", timeout=60) == "deferred"
    ti = stack.task_instance(DAG_ID, run_id, "wait_for_health")
    assert ti is not None
    assert ti["trigger"]["classpath"] == "triggers.http.trigger.HttpHealthTrigger", ti["trigger"]
    assert TOKEN not in json.dumps(ti["trigger"])  # the stored kwargs carry the connection id only
    # this sensor holds no worker slot; its siblings (wrong_token failing, wait_for_catalog resuming) may
    slots = stack.own_pool_slots(DAG_ID, run_id, ["wait_for_health"])
    assert (slots["running_slots"], slots["deferred_slots"]) == (0, 1), slots

    assert stack.wait_for_run(DAG_ID, run_id, timeout=120) == "success"
    states = stack.task_states(DAG_ID, run_id)
    assert states == {"wait_for_health": "success", "wait_for_catalog": "success", "wrong_token": "skipped"}

    health = stack.xcom(DAG_ID, run_id, "wait_for_health")
    assert (health["status"], health["json"]["status"], health["json"]["version"]) == (200, "healthy", "1.0")
    report = stack.xcom(DAG_ID, run_id, "wait_for_health", key="sensor_report")
    assert report["outcome"] == "met", report
    print("\n[http e2e] trigger attempts:", [(a["outcome"], a["error"], a["interval"]) for a in report["history"]])
    # a 503 seen by the triggerer carried Retry-After (seconds to the healthy half): it beats backoff_cap=2
    assert all(a["interval"] > 2 for a in report["history"] if a["error"] == "HTTP503"), report["history"]
    assert stack.xcom(DAG_ID, run_id, "wait_for_catalog")["json"]["catalog"]["version"] > 100

    logs = {task: stack.task_log(DAG_ID, run_id, task) for task in states}
    assert "not yet (HTTP503" in logs["wait_for_health"]  # the worker's first check met maintenance
    assert "met on attempt" in logs["wait_for_health"]  # the triggerer's log lines, in the task log
    assert "Last response from" in logs["wait_for_health"]
    assert "401" in logs["wrong_token"]
    leaked = [task for task, text in logs.items() if TOKEN in text]
    leaked += [
        task
        for task in ("wait_for_health", "wait_for_catalog")
        if TOKEN in json.dumps(stack.xcom(DAG_ID, run_id, task))
    ]
    assert leaked == []
