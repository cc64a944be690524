"""The Sensors view's data with N finished waits in history: queries plus page, timed.

    python -m benchmarks.dashboard_history [--waits 1000] [--repeats 5]

Builds Airflow's metadata schema in a temporary SQLite file, inserts N finished waits (task instances and their
``sensor_report`` XComs) and a progress snapshot per deferred wait, then times what the page
route does after authentication: the "now" queries, the history query, the kind list, the adaptive
history Variables and the HTML render. Reports the first (cold: statements compiled, caches
empty) build, then the median and worst wall time and the median CPU time of the warm ones.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from benchmarks.measure import markdown
from dashboard.page import build_page
from dashboard.queries import Filters
from tests.support.metadata import SeededWait, insert_deferred, insert_finished, metadata_engine, report
from triggers.progress import Snapshot

T0 = 1_800_000_000.0
DAGS = 20


@dataclass(frozen=True)
class Timing:
    """One backend's numbers, seconds."""

    backend: str
    waits: int
    rows: int
    cold: float
    median: float
    worst: float
    cpu: float
    html_bytes: int


def seed(engine: Engine, waits: int, deferred: int = 50) -> set[str]:
    """Insert ``waits`` finished waits over :data:`DAGS` DAGs and ``deferred`` waits in progress; return the DAG ids."""
    seeded = []
    for i in range(waits):
        attempts = [(10.0 * k, "not_yet", 10.0) for k in range(i % 9)] + [(10.0 * (i % 9), "met", None)]
        kind = ("AdaptiveFileSensor", "OrderStatusSensor", "APIHealthSensor")[i % 3]
        seeded.append(
            SeededWait(
                f"dag_{i % DAGS}", f"run_{i:05d}", "wait", kind, report("met", started=T0 + i, attempts=attempts)
            )
        )
    with Session(engine) as session:
        insert_finished(session, seeded)
        for j in range(deferred):
            snap = Snapshot(
                f"dag_{j % DAGS}", f"live_{j}", "wait", -1, 1, kind="http", what="GET /health", started_at=T0
            )
            insert_deferred(
                session,
                dag_id=snap.dag_id,
                run_id=snap.run_id,
                task_id="wait",
                operator="APIHealthSensor",
                classpath="triggers.http.trigger.HttpHealthTrigger",
                progress=snap.to_json(),
            )
    return {f"dag_{d}" for d in range(DAGS)}


def time_page(engine: Engine, dags: set[str], repeats: int) -> tuple[list[float], list[float], int, int]:
    """Return the wall and CPU seconds per page build, the history rows and the HTML size."""
    took, cpu, rows, size = [], [], 0, 0
    for _ in range(repeats):
        began, began_cpu = time.perf_counter(), time.process_time()
        with Session(engine) as session:
            html, rows = build_page(session, dags, Filters(), now=T0)
        took.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
        size = len(html.encode())
    return took, cpu, rows, size


def run(waits: int = 1000, repeats: int = 7) -> list[Timing]:
    """Time the page on SQLite with ``waits`` finished waits (PostgreSQL needs DAG and run rows: not yet)."""
    results = []
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="dashboard-bench-"))
        sqlite = metadata_engine(Path(tmp) / "airflow.db")
        stack.callback(sqlite.dispose)
        for name, engine in [("SQLite", sqlite)]:
            dags = seed(engine, waits)
            took, cpu, rows, size = time_page(engine, dags, repeats)
            warm, warm_cpu = took[1:] or took, cpu[1:] or cpu
            results.append(
                Timing(
                    name, waits, rows, took[0], statistics.median(warm), max(warm), statistics.median(warm_cpu), size
                )
            )
    return results


def observer_cost(attempts: int = 100_000) -> float:
    """Return the microseconds the progress observer adds to one attempt that changes nothing (no write)."""
    from triggers.history import Attempt
    from triggers.outcomes import NotYet
    from triggers.progress import ProgressPublisher

    class NoSink:
        async def put(self, key: str, value: str) -> None:
            return None

        async def delete(self, key: str) -> None:
            return None

    clock = iter(range(10**9))
    publish = ProgressPublisher("k", Snapshot("d", "r", "t", -1, 1, "http", "GET /", 0.0), NoSink(), clock=lambda: 0.0)
    publish._state, publish._last_write = ("not_yet", None, "closed"), 0.0  # as after the first write
    attempt, outcome = Attempt(at=0.0, duration=0.01, outcome="not_yet", interval=5.0), NotYet("not yet")
    began = time.perf_counter()
    for _ in range(attempts):
        next(clock)
        publish(attempt, outcome)
    return (time.perf_counter() - began) / attempts * 1e6


def table(results: list[Timing]) -> str:
    """Return the Markdown table of the timings."""
    rows = [
        [
            r.backend,
            f"{r.waits:,}",
            f"{r.rows:,}",
            f"{r.cold * 1000:.0f}",
            f"{r.median * 1000:.0f}",
            f"{r.worst * 1000:.0f}",
            f"{r.cpu * 1000:.0f}",
            f"{r.html_bytes / 1024:.0f}",
        ]
        for r in results
    ]
    return markdown(
        [
            "metadata DB",
            "finished waits",
            "rows shown",
            "cold ms",
            "median ms",
            "worst ms",
            "CPU ms (median)",
            "HTML KiB",
        ],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--waits", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(table(run(args.waits, args.repeats)))


if __name__ == "__main__":
    main()
