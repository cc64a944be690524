"""End to end on PostgreSQL: AssetWatchers with our event triggers start DAG runs exactly once per change.

Read through the REST API: the asset events of each watched asset (their ``extra.payload`` is the
event) and, per DAG run, the asset events it consumed. What the watchers guarantee is shown on the
asset events: 50 files make exactly 50 events, one per file, across a kill -9 of the triggerer.

What the scheduler makes of them is Airflow's: in 3.3.2 it folds the asset events that arrive
between two scheduler passes into one DAG run (one run per event needs ``batch_asset_events=False``,
apache/airflow PR 68517, not released), and it selects a run's events by a time window, so an
event whose transaction commits after a run covering its timestamp was created is consumed by no
run (apache/airflow issue 70970, fixed by PR 70972, not in 3.3.2). So the runs are checked for
what holds anyway: no file is consumed by two runs, and the consumed ones are ours; how many
events a burst left unconsumed is printed.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from devstack import AirflowStack
from tests.e2e.failover.test_triggerer_failover import MetadataDb, poll
from tests.support.http_server import LoopbackServer, Reply
from tests.support.postgres import PostgresDatabase

pytestmark = pytest.mark.postgres

FILES = "events_e2e_files"
HEALTH = "events_e2e_health"
#: The watchers write an emitted key to their memory this long after the event (the default).
REMEMBER_AFTER = 5.0


def asset_events(stack: AirflowStack, asset: str) -> list[dict[str, Any]]:
    """Return the payloads of every asset event of ``asset``, oldest first."""
    assets = stack.request("GET", "/assets", params={"name_pattern": asset}).json()["assets"]
    (found,) = [a for a in assets if a["name"] == asset]
    events = stack.request(
        "GET", "/assets/events", params={"asset_id": found["id"], "limit": 1000, "order_by": "timestamp"}
    ).json()["asset_events"]
    return [e["extra"]["payload"] for e in events]


def consumed_per_run(stack: AirflowStack, dag_id: str) -> dict[str, list[dict[str, Any]]]:
    """Return run id -> the payloads of the asset events that run consumed."""
    runs = stack.request("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 1000}).json()["dag_runs"]
    return {
        run["dag_run_id"]: [
            e["extra"]["payload"]
            for e in stack.request("GET", f"/dags/{dag_id}/dagRuns/{run['dag_run_id']}/upstreamAssetEvents").json()[
                "asset_events"
            ]
        ]
        for run in runs
    }


def drop(directory: Path, first: int, count: int) -> list[str]:
    """Write files ``first``..``first+count-1`` atomically (a hidden name, then a rename); return their paths."""
    paths = []
    for i in range(first, first + count):
        target = directory / f"order-{i:03d}.csv"
        hidden = directory / f".order-{i:03d}.csv.part"
        hidden.write_text(f"id,total\n{i},{i}.99\n")
        os.replace(hidden, target)
        paths.append(str(target))
    return paths


@pytest.fixture
def metadata(metadata_db: PostgresDatabase) -> Any:
    db = MetadataDb(metadata_db)
    try:
        yield db
    finally:
        db.close()


def test_fifty_files_start_runs_exactly_once_each_across_a_triggerer_kill(
    airflow_stack: AirflowStack, metadata: MetadataDb, watched_dir: Path
) -> None:
    stack = airflow_stack
    incoming = watched_dir / "in"
    incoming.mkdir()
    stack.wait_for_dag(FILES)
    stack.wait_for_dag(HEALTH)
    (first,) = poll(metadata.running_triggerers, 60, "the triggerer's job")
    poll(
        lambda: metadata.rows("SELECT count(*) FROM trigger WHERE triggerer_id = %s", first)[0][0] >= 2,
        120,
        "both watchers running on the triggerer",
    )

    began = time.monotonic()
    expected = drop(incoming, 0, 25)
    poll(lambda: len(asset_events(stack, FILES)) >= 25, 120, "the first 25 asset events")
    time.sleep(REMEMBER_AFTER + 2)  # the emitted keys are written to the asset state store by now

    stack.kill("triggerer")  # kill -9, whole process tree
    poll(lambda: not stack.component("triggerer").running(), 10, "the triggerer to die")
    expected += drop(incoming, 25, 25)  # while no triggerer runs
    stack.start_component("triggerer", name="triggerer2")
    poll(lambda: len(asset_events(stack, FILES)) >= 50, 180, "50 asset events after the restart")
    took = time.monotonic() - began
    time.sleep(10)  # room for a repeat to show up

    payloads = asset_events(stack, FILES)
    assert Counter(p["path"] for p in payloads) == Counter(expected)  # 50 events, one per file
    assert all(p["key"] == f"{p['path']}|{p['size']}|{p['mtime']!r}" for p in payloads)
    runs = settled_runs(stack, FILES)
    consumed = Counter(p["path"] for events in runs.values() for p in events)
    assert set(consumed) <= set(expected)
    assert max(consumed.values()) == 1  # no file started two runs
    print(
        f"\n[events] 50 files -> {len(payloads)} asset events ({took:.1f}s including the kill) -> {len(runs)} DAG runs"
        f" consuming {sum(consumed.values())} of them ({50 - sum(consumed.values())} left unconsumed by the scheduler)"
    )


def settled_runs(stack: AirflowStack, dag_id: str, quiet: float = 15.0) -> dict[str, list[dict[str, Any]]]:
    """Return the runs' consumed events once nothing changed for ``quiet`` seconds (at most 120 s)."""
    runs, since, deadline = consumed_per_run(stack, dag_id), time.monotonic(), time.monotonic() + 120
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        time.sleep(2)
        now = consumed_per_run(stack, dag_id)
        if now != runs:
            runs, since = now, time.monotonic()
    return runs


def test_a_sixty_second_outage_is_exactly_two_events(airflow_stack: AirflowStack, api: LoopbackServer) -> None:
    stack = airflow_stack
    stack.wait_for_dag(HEALTH)
    before = len(asset_events(stack, HEALTH))
    # The watcher is up (it polls every 2 s) and has its baseline before the outage starts.
    poll(lambda: api.count("/health") >= 3, 120, "the health watcher polling")
    time.sleep(REMEMBER_AFTER)
    api.script("/health", Reply(503, body="maintenance"))
    outage_began = time.time()
    time.sleep(60)
    api.script("/health", Reply(200, json={"status": "ok"}))
    events = poll(lambda: (e := asset_events(stack, HEALTH)[before:]) and len(e) >= 2 and e, 60, "down and up")
    polls_during = len([s for s in api.requests("/health") if outage_began <= s.at <= outage_began + 60])
    time.sleep(10)  # more healthy polls: no further event
    events = asset_events(stack, HEALTH)[before:]
    assert [e["transition"] for e in events] == ["down", "up"]
    assert events[1]["at"] - events[0]["at"] == pytest.approx(60, abs=8)
    assert polls_during >= 20  # about 30 polls during the outage made one event
    runs = settled_runs(stack, HEALTH)
    consumed = [p["transition"] for events in runs.values() for p in events]
    assert sorted(consumed) == ["down", "up"]  # 60 s apart: one run each
    assert len(runs) == 2
