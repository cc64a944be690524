"""M file sensors deferred at once through a real Airflow stack: no worker slot held, one triggerer.

    python -m benchmarks.stack_deferred [--sensors 50]

Starts devstack.AirflowStack (api-server, scheduler, dag-processor, triggerer, LocalExecutor,
SQLite) on a temporary DAGs folder holding one DAG of ``sensors`` FileArrivalSensors (half
exact paths, half globs, 60 s poke interval). Triggers one run and records: seconds until every
sensor is deferred; the default pool's running and deferred slots while they wait (sampled);
the distinct triggerer jobs holding them; the triggerer's RSS (its process tree); then writes
every file and times the run to success.
"""

from __future__ import annotations

import argparse
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack import AirflowStack

DAG_ID = "bench_deferred"
DAG_FILE = '''
"""Benchmark DAG: {sensors} FileArrivalSensors deferred at once (written by benchmarks.stack_deferred)."""

from airflow.sdk import DAG

from sensors import FileArrivalSensor

with DAG(dag_id="{dag_id}", schedule=None, catchup=False, max_active_tasks={sensors}, tags=["benchmark"]):
    for i in range({sensors}):
        name = f"drop-{{i:03d}}-*.csv" if i % 2 else f"drop-{{i:03d}}.csv"
        FileArrivalSensor(
            task_id=f"wait_{{i:03d}}",
            filepath="{{{{ dag_run.conf['dir'] }}}}/partner-" + str(i % 10) + "/" + name,
            poke_interval=60,
            timeout=900,
        )
'''


@dataclass(frozen=True)
class StackRun:
    """What one run of ``sensors`` deferred sensors showed."""

    sensors: int
    startup_seconds: float
    all_deferred_seconds: float
    max_running_slots: int
    deferred_slots: int
    triggerers: int
    triggerer_rss_mib: float
    released_seconds: float
    state: str


def tree_rss_mib(pids: set[int]) -> float:
    """Return the summed RSS of ``pids`` in MiB (processes that vanished count 0)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as status:
                total += next((int(line.split()[1]) for line in status if line.startswith("VmRSS")), 0)
        except OSError:
            continue
    return total / 1024


def task_instances(stack: AirflowStack, run_id: str) -> list[dict[str, Any]]:
    """Return the run's task instances as the REST API lists them."""
    path = f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances"
    found: list[dict[str, Any]] = stack.request("GET", path, params={"limit": 1000}).json()["task_instances"]
    return found


def measure(stack: AirflowStack, drops: Path, sensors: int, hold: float) -> StackRun:
    """Trigger one run, wait for every sensor to defer, sample for ``hold`` seconds, release them."""
    stack.wait_for_dag(DAG_ID, timeout=180)
    began = time.monotonic()
    run_id = stack.trigger_dag(DAG_ID, conf={"dir": str(drops)})
    deadline = began + 60 + sensors * 5  # bounded: LocalExecutor starts tasks a few per second at most
    while sum(ti["state"] == "deferred" for ti in task_instances(stack, run_id)) < sensors:
        stack.check_alive()
        if time.monotonic() > deadline:
            states = [ti["state"] for ti in task_instances(stack, run_id)]
            raise TimeoutError(f"not all {sensors} sensors deferred: {sorted(set(states))}")
        time.sleep(1.0)
    all_deferred = time.monotonic() - began
    samples = []
    end = time.monotonic() + hold
    while time.monotonic() < end:
        samples.append(stack.pool_slots())
        time.sleep(1.0)
    holders = {(ti.get("triggerer_job") or {}).get("id") for ti in task_instances(stack, run_id)}
    rss = tree_rss_mib({stack.pid_of("triggerer"), *stack.component("triggerer").refresh_tree()})
    released = time.monotonic()
    for i in range(sensors):
        folder = drops / f"partner-{i % 10}"
        folder.mkdir(exist_ok=True)
        (folder / (f"drop-{i:03d}-1.csv" if i % 2 else f"drop-{i:03d}.csv")).write_bytes(b"id\n1\n")
    state = stack.wait_for_run(DAG_ID, run_id, timeout=120 + sensors)
    return StackRun(
        sensors=sensors,
        startup_seconds=stack.startup_seconds or 0.0,
        all_deferred_seconds=all_deferred,
        max_running_slots=max(s["running_slots"] for s in samples),
        deferred_slots=min(s["deferred_slots"] for s in samples),
        triggerers=len(holders - {None}),
        triggerer_rss_mib=rss,
        released_seconds=time.monotonic() - released,
        state=state,
    )


def run(sensors: int, hold: float = 5.0) -> StackRun:
    """Start a stack with the benchmark DAG, measure one run of ``sensors`` sensors, stop it."""
    with tempfile.TemporaryDirectory(prefix="bench-stack-") as tmp:
        dags, drops = Path(tmp) / "dags", Path(tmp) / "drops"
        dags.mkdir()
        drops.mkdir()
        text = DAG_FILE.format(sensors=sensors, dag_id=DAG_ID)
        (dags / "bench_deferred.py").write_text(textwrap.dedent(text).lstrip())
        with AirflowStack(dags) as stack:
            return measure(stack, drops, sensors, hold)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sensors", type=int, default=50)
    parser.add_argument("--hold", type=float, default=5.0, help="seconds to sample the pool while all wait")
    args = parser.parse_args()
    print(run(args.sensors, args.hold))


if __name__ == "__main__":
    main()
