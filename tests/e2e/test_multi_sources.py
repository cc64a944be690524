"""MultiSourceReadinessSensor on the real Airflow stack: the seed's ML scenario, scaled down.

Once every sensor has deferred (holding no worker slot), the sources appear: behaviour logs
after 3 s (the seed: 20 s), the catalog version passes 100 after 6 s, the inventory snapshot
after 9 s (the seed: 40 s). Any-mode succeeds with the first, two-of-three with the next,
all-mode after all three; the strict DAG's all-mode sensor fails at once when the snapshot
misses its 3 s condition timeout.

The catalog's order among the others is not asserted: its check resolves the Airflow connection
in the triggerer, which took up to ~25 s on a loaded machine with a SQLite metadata database.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import AirflowStack
from sandbox.api_server import ApiSchedule, BackgroundServer, make_app
from sandbox.ml_data import prepare, setup_ml_data_sources

DAG_ID = "multi_ml_sources"
STRICT_DAG_ID = "multi_ml_strict"
SENSORS = ("wait_all_sources", "wait_any_source", "wait_two_sources")
POOL = "multi_e2e"  # the sensors' own pool (dags/multi_ml_sources.py)
CLASSPATH = "triggers.gather.trigger.GatherTrigger"


class HeldClock:
    """Stands still until released, so the catalog's version starts rising with the other sources."""

    def __init__(self) -> None:
        self.start = time.time()
        self.released_at: float | None = None

    def __call__(self) -> float:
        return self.start if self.released_at is None else self.start + time.time() - self.released_at

    def release(self) -> None:
        self.released_at = time.time()


@pytest.fixture
def catalog_clock() -> HeldClock:
    return HeldClock()


@pytest.fixture
def catalog_api(catalog_clock: HeldClock) -> Iterator[BackgroundServer]:
    """The mock API whose catalog version is 98 until released, then 99, 100, 101 every 2 s."""
    schedule = ApiSchedule(catalog_start=98, catalog_step=2.0)
    with BackgroundServer(make_app(schedule, clock=catalog_clock)) as server:
        yield server


def settled(stack: AirflowStack, dag_id: str, run_id: str, task: str, states: tuple[str, ...]) -> str:
    deadline = time.monotonic() + 90
    while (state := stack.task_state(dag_id, run_id, task)) not in states:
        assert time.monotonic() < deadline, f"{task} is {state}"
        time.sleep(0.5)
    return state


def test_the_seeds_ml_sources_all_any_and_two_of_three(
    airflow_stack: AirflowStack, catalog_api: BackgroundServer, catalog_clock: HeldClock, ml_data_dir: Path
) -> None:
    stack = airflow_stack
    prepare(ml_data_dir, clear=True)  # no logs or snapshot from an earlier run
    stack.create_connection("multi_catalog_api", "http", host="127.0.0.1", port=catalog_api.port)
    stack.wait_for_dag(DAG_ID)
    stack.wait_for_dag(STRICT_DAG_ID)
    stack.create_pool(POOL, 8)
    run_id = stack.trigger_dag(DAG_ID)
    strict_run_id = stack.trigger_dag(STRICT_DAG_ID)

    for task in SENSORS:
        assert stack.wait_for_task_state(DAG_ID, run_id, task, "deferred", timeout=90) == "deferred"
        ti = stack.task_instance(DAG_ID, run_id, task)
        assert ti is not None
        assert ti["trigger"]["classpath"] == CLASSPATH, ti["trigger"]
    assert settled(stack, STRICT_DAG_ID, strict_run_id, "wait_all_sources", ("deferred", "failed")) in (
        "deferred",
        "failed",
    )
    # the three sensors wait and hold no worker slot (the strict DAG's sensor may be failing meanwhile)
    slots = stack.own_pool_slots(DAG_ID, run_id, SENSORS)
    assert (slots["running_slots"], slots["deferred_slots"]) == (0, len(SENSORS)), slots

    began = time.time()
    catalog_clock.release()
    setup_ml_data_sources(ml_data_dir, behaviour_delay=3, inventory_delay=9)

    assert stack.wait_for_run(DAG_ID, run_id, timeout=120) == "success"
    assert stack.wait_for_run(STRICT_DAG_ID, strict_run_id, timeout=60) == "failed"

    reports = {task: stack.xcom(DAG_ID, run_id, task, key="sensor_report") for task in SENSORS}
    statuses = {task: report["detail"]["conditions"] for task, report in reports.items()}
    print("\n[multi e2e] ready after the data started:")
    for task, conditions in statuses.items():
        ready = {name: round(s["ready_at"] - began, 1) for name, s in conditions.items() if s["ready_at"]}
        print(f"  {task}: {ready}")

    # any-mode: the behaviour logs alone, through the seed's plain function run by the triggerer
    assert stack.xcom(DAG_ID, run_id, "wait_any_source") == {"behaviour_logs": 1}  # (True, 1 log file)
    assert statuses["wait_any_source"]["inventory_snapshot"]["state"] == "pending"
    # two of three: the logs, then whichever of the catalog and the snapshot answered first
    two = stack.xcom(DAG_ID, run_id, "wait_two_sources")
    assert len(two) == 2, two
    assert "behaviour_logs" in two, two
    # all-mode: all three; the logs first, the snapshot not before it was written
    everything = statuses["wait_all_sources"]
    assert {s["state"] for s in everything.values()} == {"ready"}
    assert min(everything, key=lambda name: everything[name]["ready_at"]) == "behaviour_logs"
    assert everything["inventory_snapshot"]["ready_at"] - began >= 9
    assert everything["product_catalog"]["value"]["json"]["catalog"]["version"] > 100
    assert stack.xcom(DAG_ID, run_id, "train_model") == ["behaviour_logs", "inventory_snapshot", "product_catalog"]

    log = stack.task_log(DAG_ID, run_id, "wait_all_sources")
    assert "condition 'behaviour_logs' ready on attempt" in log  # written by the triggerer, on each change
    assert "condition 'inventory_snapshot' ready on attempt" in log

    strict_log = stack.task_log(STRICT_DAG_ID, strict_run_id, "wait_all_sources")
    assert "condition 'inventory_snapshot' timed out: not ready within 3s" in strict_log
