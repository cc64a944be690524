"""Thousands of waiting file triggers in one process: inotify instances, memory, loop lag, CPU.

    python -m benchmarks.files_scale [--sizes 1000,5000,10000] [--dirs 100] [--window 10]

Each (trigger, poll, size) runs in a fresh child process so memory is its own: N triggers wait
for N different files spread over ``dirs`` directories (partners) that hold ``others`` unrelated
files each; even waits name an exact path, odd ones a glob. After they settle, the child
measures, over ``window`` seconds or one poll interval if longer, the event loop's lag
(overshoot of a 50 ms sleep) and the process CPU (loop and worker threads), then writes two
files (an exact path's, a glob's) and times their triggers' events (the slower is reported).
Reported: inotify instances and watches the process holds (from /proc/self/fd and fdinfo), RSS
growth per waiting trigger, loop lag p50/p99/max, CPU %, detection latency. Rows compare our
FileWatchTrigger (shared inotify watcher; polling at 5 s and at the sensor-like 60 s) with
Airflow's FileTrigger polling at its default 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.files_setup import fired_at, quiet_logs, ratio, stored, table
from benchmarks.measure import PORTAL, Lag, loop_lag, rss_bytes, settle
from triggers.files.watcher import kernel_usage

CONFIGS = "inotify:5,inotify:60,airflow:5"


def workload(root: Path, size: int, dirs: int, others: int) -> tuple[list[str], list[Path]]:
    """Lay out ``dirs`` directories holding ``others`` unrelated files each; return what to wait for.

    Returns the waited patterns (even indexes exact paths, odd ones globs) and, for each, the
    file that satisfies it.
    """
    folders = [root / f"partner-{d:03d}" for d in range(dirs)]
    for folder in folders:
        folder.mkdir()
        for k in range(others):
            (folder / f"ledger-{k:03d}.dat").write_bytes(b"x")
    patterns, files = [], []
    for i in range(size):
        folder = folders[i % dirs]
        if i % 2:
            patterns.append(str(folder / f"drop-{i:06d}-*.csv"))
            files.append(folder / f"drop-{i:06d}-1.csv")
        else:
            patterns.append(str(folder / f"drop-{i:06d}.csv"))
            files.append(folder / f"drop-{i:06d}.csv")
    return patterns, files


async def child(kind: str, poll: float, size: int, dirs: int, window: float, others: int = 0) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="files-scale-") as tmp:
        patterns, files = workload(Path(tmp), size, dirs, others)
        base, portal = kind.removesuffix(PORTAL), kind.endswith(PORTAL)
        # built before RSS is read, and kept: growth counts what the waits hold, not their kwargs
        kwargs = [stored(base, p, poll, seed=i) for i, p in enumerate(patterns)]
        gc.collect()
        before = rss_bytes()
        began = time.monotonic()  # from the stored kwargs, as a triggerer starts (see files_setup.stored)
        waiting = [asyncio.ensure_future(fired_at(cls(**given), portal=portal)) for cls, given in kwargs]
        await settle(at_least=1.0, at_most=max(10.0, size / 500))  # every trigger made its first check
        started = time.monotonic() - began
        gc.collect()  # count what the waits hold, not garbage not yet collected
        grown = rss_bytes() - before
        instances, watches = kernel_usage()
        cpu_before = time.process_time()
        measured = max(window, poll)  # at least one whole poll cycle, or a slow poller looks idle
        lags = await loop_lag(measured)
        cpu = (time.process_time() - cpu_before) / measured
        detected = [0.0]
        for target in (size // 2, size // 2 + 1) if size > 1 else ():  # one exact path, one glob
            files[target].write_bytes(b"id\n1\n")
            written = time.monotonic()
            detected.append(await asyncio.wait_for(waiting[target], timeout=poll * 3 + 30) - written)
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
    lag = Lag.of(lags)
    return {
        "instances": instances,
        "watches": watches,
        "rss_per_trigger": grown / max(size, 1),
        "lag_p50": lag.p50,
        "lag_p99": lag.p99,
        "lag_max": lag.max,
        "lag_warnings": lag.warnings,
        "cpu": cpu,
        "detected": max(detected),
        "start_seconds": started,
    }


def run_child(kind: str, poll: float, size: int, dirs: int, window: float, others: int = 0) -> dict[str, Any]:
    """Run one (kind, poll, size) measurement in a fresh process; return what ``child`` returns."""
    command = [sys.executable, "-m", "benchmarks.files_scale", "--child", kind, str(poll), str(size)]
    command += ["--dirs", str(dirs), "--window", str(window), "--others", str(others)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=900)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(sizes: list[int], configs: list[tuple[str, float]], dirs: int, window: float, others: int) -> None:
    rows = []
    for size in sizes:
        results = {(kind, poll): run_child(kind, poll, size, dirs, window, others) for kind, poll in configs}
        airflow = next((r for (kind, _), r in results.items() if kind == "airflow"), None) or {}
        for (kind, poll), r in results.items():
            name = "Airflow FileTrigger" if kind.startswith("airflow") else "FileWatchTrigger"
            name += ", in a greenback portal" if kind.endswith(PORTAL) else ""
            rows.append(
                [
                    name,
                    f"{poll:g}s",
                    size,
                    r["instances"],
                    r["watches"],
                    f"{r['rss_per_trigger'] / 1024:.2f}",
                    ratio(r["rss_per_trigger"], airflow.get("rss_per_trigger", 0)),
                    f"{r['lag_p50'] * 1000:.1f}/{r['lag_p99'] * 1000:.1f}/{r['lag_max'] * 1000:.0f}",
                    f"{r['cpu'] * 100:.1f}",
                    ratio(r["cpu"], airflow.get("cpu", 0)),
                    f"{r['detected'] * 1000:.0f}",
                    ratio(r["detected"], airflow.get("detected", 0)),
                ]
            )
    headers = ["trigger", "poll", "waiting", "inotify fds", "watches", "KiB/trigger", "vs FT"]
    headers += ["loop lag ms p50/p99/max", "CPU %", "vs FT", "detect ms", "vs FT"]
    print(f"Waiting file triggers in one process ({dirs} directories; measured over max({window:g}s, poll))")
    print("FT = Airflow FileTrigger; CPU is the whole process (event loop and worker threads)")
    print(table(headers, rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,10000", help="comma-separated trigger counts")
    parser.add_argument(
        "--configs",
        default=CONFIGS,
        help="comma-separated kind:poll (kinds: inotify, polling, airflow; +portal: in a greenback portal)",
    )
    parser.add_argument("--dirs", type=int, default=100, help="directories the files are spread over")
    parser.add_argument("--window", type=float, default=10.0, help="seconds of measurement per run")
    parser.add_argument("--others", type=int, default=0, help="unrelated files in each directory")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "POLL", "SIZE"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        quiet_logs()
        kind, poll, size = arguments.child
        outcome = asyncio.run(child(kind, float(poll), int(size), arguments.dirs, arguments.window, arguments.others))
        print(json.dumps(outcome))
    else:
        configs = [(kind, float(poll)) for kind, poll in (c.split(":") for c in arguments.configs.split(","))]
        main([int(s) for s in arguments.sizes.split(",")], configs, arguments.dirs, arguments.window, arguments.others)
