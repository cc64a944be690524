"""End-to-end smoke tests of the dev stack with a real api-server, scheduler and triggerer."""

from __future__ import annotations

import os
import time
import uuid

from devstack import AirflowStack

DAG_ID = "devstack_smoke"
POOL = "smoke_e2e"  # the sensor's own pool (dags/smoke_dag.py)


def test_stack_components_are_healthy(airflow_stack: AirflowStack) -> None:
    health = airflow_stack.health()
    for key in ("metadatabase", "scheduler", "triggerer", "dag_processor"):
        assert health[key]["status"] == "healthy", health
    for name in ("api-server", "scheduler", "dag-processor", "triggerer"):
        os.kill(airflow_stack.pid_of(name), 0)  # raises if the process is gone
    version = airflow_stack.request("GET", "/version").json()
    assert version["version"].startswith("3.")


def test_deferred_sensor_holds_no_worker_slot_then_run_succeeds(airflow_stack: AirflowStack) -> None:
    stack = airflow_stack
    greeting = f"hello-{uuid.uuid4().hex[:8]}"
    stack.set_variable("smoke_greeting", greeting)
    dag = stack.wait_for_dag(DAG_ID)
    assert dag["is_paused"] is False
    stack.create_pool(POOL, 1)

    started = time.monotonic()
    run_id = stack.trigger_dag(DAG_ID, conf={"token": "t-123"})
    assert stack.wait_for_task_state(DAG_ID, run_id, "wait", "deferred", timeout=60) == "deferred"

    # While deferred, the sensor is a trigger in the triggerer and holds no worker slot.
    ti = stack.task_instance(DAG_ID, run_id, "wait")
    assert ti is not None
    assert ti["state"] == "deferred"
    assert ti["trigger"]["classpath"].endswith("DateTimeTrigger"), ti["trigger"]
    slots = stack.own_pool_slots(DAG_ID, run_id, ["wait"])
    assert (slots["running_slots"], slots["deferred_slots"]) == (0, 1), slots
    assert stack.task_state(DAG_ID, run_id, "report") in (None, "none"), "downstream ran too early"

    assert stack.wait_for_run(DAG_ID, run_id, timeout=180) == "success"
    elapsed = time.monotonic() - started
    # The run cannot finish before the sensor's 15 s delta (counted from run_after) has passed.
    assert elapsed >= 14, elapsed
    assert stack.task_state(DAG_ID, run_id, "wait") == "success"

    value = stack.xcom(DAG_ID, run_id, "report")
    assert value == {"answer": 42, "conf_token": "t-123", "greeting": greeting}

    sensor_log = stack.task_log(DAG_ID, run_id, "wait")
    assert "DateTimeTrigger" in sensor_log  # the trigger's own log lines, written by the triggerer
    assert "Returned value was" in stack.task_log(DAG_ID, run_id, "report")
    after = stack.pool_slots(POOL)
    assert (after["running_slots"], after["deferred_slots"]) == (0, 0), after


def test_variables_connections_and_pools_round_trip(airflow_stack: AirflowStack) -> None:
    stack = airflow_stack
    stack.set_variable("smoke_var", {"a": [1, 2]})
    assert stack.get_variable("smoke_var") == '{"a": [1, 2]}'
    stack.set_variable("smoke_var", "plain")  # replaces the existing value
    assert stack.get_variable("smoke_var") == "plain"
    stack.delete_variable("smoke_var")
    assert stack.get_variable("smoke_var") is None

    stack.create_connection(
        "smoke_http", "http", host="127.0.0.1", port=8080, login="user", password="s3cret-pw", extra={"k": "v"}
    )
    stack.create_connection("smoke_http", "http", host="127.0.0.2", port=9090, extra={"k": "w"})
    conn = stack.request("GET", "/connections/smoke_http").json()
    assert (conn["host"], conn["port"], conn["conn_type"]) == ("127.0.0.2", 9090, "http")
    assert conn["extra"] == '{"k": "w"}'
    stack.delete_connection("smoke_http")
    assert stack.request("GET", "/connections/smoke_http", ok=(404,)).status_code == 404

    stack.create_pool("smoke_pool", 3)
    stack.create_pool("smoke_pool", 5)  # replaces the existing pool
    assert stack.pool_slots("smoke_pool") == {
        "slots": 5,
        "occupied_slots": 0,
        "running_slots": 0,
        "queued_slots": 0,
        "scheduled_slots": 0,
        "deferred_slots": 0,
        "open_slots": 5,
    }
    stack.request("DELETE", "/pools/smoke_pool", ok=(204,))
