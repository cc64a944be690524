"""The README's main command: the sandbox, a real local Airflow, every example DAG, a summary.

``python -m sandbox demo`` starts a local Airflow 3 stack (api-server, scheduler, dag-processor,
triggerer; SQLite), lays out the sandbox, triggers every example DAG, starts the sandbox's clock,
prints each task state change while the sensors wait, waits for each event-driven example (started
by its AssetWatcher when the order ships, the partner file lands, the API comes up) to run, prints
a summary (each sensor: outcome, time waiting, attempts, seconds it held a worker slot versus
seconds deferred), and stops everything it started. Exit status 0 when every run succeeded.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from devstack import AirflowStack
from sandbox.scenario import Scenario

REPO = Path(__file__).resolve().parents[1]
DAGS = REPO / "dags"
#: (dag id, sensor task id) of every example DAG.
SENSORS = {
    "order_processing": "wait_for_shipment",
    "api_health_gate": "wait_for_api",
    "ml_readiness": "wait_for_sources",
    "partner_file_arrival": "wait_for_partner_file",
    "circuit_breaker": "wait_with_breaker",
    "sensor_composition": "wait_for_either",
}
#: (dag id, task id) of every event-driven example DAG: started by an AssetWatcher, not triggered here.
EVENT_DAGS = {"order_events": "notify_customer", "partner_file_events": "ingest", "api_health_events": "react"}
FINAL = {"success", "failed", "skipped", "upstream_failed", "removed"}
#: The task state in which a task occupies a worker slot (queued tasks wait for one).
HOLDING = {"running"}


@dataclass
class Watch:
    """What the demo saw of one DAG run while polling it."""

    dag_id: str
    run_id: str
    states: dict[str, str | None] = field(default_factory=dict)
    slot_seconds: float = 0.0
    deferred_seconds: float = 0.0
    run_state: str = "queued"


def follow(stack: AirflowStack, watches: list[Watch], started: float, timeout: float, every: float = 0.5) -> None:
    """Poll every run until all are final, printing each task state change; account slot time."""
    last = time.monotonic()
    while any(w.run_state not in FINAL for w in watches):
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"example DAGs still running after {timeout:.0f}s")
        time.sleep(every)
        now = time.monotonic()
        for watch in watches:
            if watch.run_state in FINAL:
                continue
            states = stack.task_states(watch.dag_id, watch.run_id)
            sensor_state = watch.states.get(SENSORS[watch.dag_id])
            if sensor_state in HOLDING:
                watch.slot_seconds += now - last
            elif sensor_state == "deferred":
                watch.deferred_seconds += now - last
            for task_id, state in sorted(states.items()):
                if state != watch.states.get(task_id) and state is not None:
                    print(f"[{now - started:6.1f}s] {watch.dag_id}.{task_id}: {state}", flush=True)
            watch.states = states
            watch.run_state = stack.dag_run(watch.dag_id, watch.run_id)["state"]
        last = now


def summary(stack: AirflowStack, watches: list[Watch]) -> str:
    """Return the summary table: one row a sensor."""
    rows = [("DAG", "sensor", "outcome", "waited s", "attempts", "slot s", "deferred s", "downstream says")]
    for watch in watches:
        sensor = SENSORS[watch.dag_id]
        report = stack.xcom(watch.dag_id, watch.run_id, sensor, key="sensor_report") or {}
        downstream = next((t for t in watch.states if t != sensor), "")
        said = stack.xcom(watch.dag_id, watch.run_id, downstream) if downstream else ""
        rows.append(
            (
                watch.dag_id,
                sensor,
                str(watch.states.get(sensor)),
                f"{report.get('finished_at', 0) - report.get('started_at', 0):.1f}",
                str(report.get("attempts", "?")),
                f"{watch.slot_seconds:.1f}",
                f"{watch.deferred_seconds:.1f}",
                str(said)[:70],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def event_runs(stack: AirflowStack, started: float, timeout: float) -> dict[str, list[str]]:
    """Wait until each event DAG has a successful run (or ``timeout``); return dag id -> what its runs' tasks said."""
    said: dict[str, list[str]] = {}
    while len(said) < len(EVENT_DAGS) and time.monotonic() - started < timeout:
        for dag_id, task_id in EVENT_DAGS.items():
            runs = stack.request("GET", f"/dags/{dag_id}/dagRuns").json()["dag_runs"]
            done = [run["dag_run_id"] for run in runs if run["state"] == "success"]
            if done and dag_id not in said:
                said[dag_id] = [line for run_id in done for line in stack.xcom(dag_id, run_id, task_id) or []]
                print(f"[{time.monotonic() - started:6.1f}s] {dag_id} (AssetWatcher): {'; '.join(said[dag_id])}")
        time.sleep(1)
    return said


def run_demo(time_scale: float, api_port: int, keep: bool, timeout: float) -> int:
    """Run every example DAG once on a fresh local Airflow; return the exit status."""
    root = Path(tempfile.mkdtemp(prefix="deferrable-sensors-sandbox-"))
    scenario = Scenario(root, time_scale=time_scale, api_port=api_port)
    scenario.prepare()
    print(f"Sandbox in {root}, mock API at {scenario.api_url} (starting in maintenance)", flush=True)
    print("Starting a local Airflow (api-server, scheduler, dag-processor, triggerer) ...", flush=True)
    try:
        with AirflowStack(DAGS, env=scenario.environment(), pythonpath=[REPO, DAGS], keep=keep) as stack:
            print(f"Airflow up in {stack.startup_seconds:.0f}s at {stack.base_url}; logs in {stack.logs_dir}")
            for dag_id in (*SENSORS, *EVENT_DAGS):
                stack.wait_for_dag(dag_id)
            started = time.monotonic()
            watches = [Watch(dag_id, stack.trigger_dag(dag_id)) for dag_id in SENSORS]
            print(f"Triggered {len(watches)} DAG runs; waiting for every sensor to defer ...", flush=True)
            for watch in watches:
                stack.wait_for_task_state(watch.dag_id, watch.run_id, SENSORS[watch.dag_id], "deferred", timeout=300)
            print(f"All sensors deferred after {time.monotonic() - started:.0f}s; pool now {stack.pool_slots()}")
            scenario.start_clock()
            print(
                f"Sandbox clock started at {time_scale}x the seed's timings (order ships in {30 * time_scale:.0f}s, "
                f"API healthy in {60 * time_scale:.0f}s)",
                flush=True,
            )
            follow(stack, watches, started, timeout)
            said = event_runs(stack, started, timeout)
            print(f"\nAll runs finished in {time.monotonic() - started:.0f}s\n")
            print(summary(stack, watches))
            failed = [w.dag_id for w in watches if w.run_state != "success"]
            failed += [dag_id for dag_id in EVENT_DAGS if dag_id not in said]
            if failed:
                print(f"\nNot successful: {', '.join(failed)} (logs: {stack.logs_dir})")
            return 1 if failed else 0
    finally:
        scenario.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox demo", description=__doc__.splitlines()[0])
    parser.add_argument("--time-scale", type=float, default=0.25, help="1 = the seed's timings (default 0.25)")
    parser.add_argument(
        "--api-port", type=int, default=8081, help="mock API port; a busy port falls back to a free one"
    )
    parser.add_argument("--keep", action="store_true", help="keep the Airflow home and logs afterwards")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the runs")
    args = parser.parse_args(argv)
    return run_demo(args.time_scale, args.api_port, args.keep, args.timeout)
