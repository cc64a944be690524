"""What each waiting file trigger holds: Python memory, GC-tracked objects, the cost of a full GC pass.

    python -m benchmarks.files_memory [--size 2000] [--poll 60] [--seeded] [--top 12]

Starts ``size`` FileWatchTrigger.run() tasks (``--kind airflow``: FileTrigger's) on one loop
(the files_scale workload: 100 directories, half exact paths, half globs, no file ever
arrives), lets each make its first check
and settle into its wait, then reports per wait the tracemalloc growth and the growth in objects
the garbage collector tracks (every one of them is visited by each full collection), the
duration of one forced full collection, and the allocation sites that hold the most. Unseeded
triggers (what sensors build) share one jitter generator; ``--seeded`` gives each its own, as
files_scale does.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path

from benchmarks.files_scale import workload
from benchmarks.files_setup import KINDS, fired_at, make_trigger, quiet_logs, table


def _types() -> Counter[str]:
    return Counter(type(o).__qualname__ for o in gc.get_objects())


async def measure(size: int, poll: float, seeded: bool, top: int, kind: str = "inotify") -> None:
    with tempfile.TemporaryDirectory(prefix="files-memory-") as tmp:
        patterns, _ = workload(Path(tmp), size + 1, dirs=100, others=0)
        warm = asyncio.ensure_future(fired_at(make_trigger("inotify", patterns[0], poll)))  # imports, the watcher
        await asyncio.sleep(1.0)
        gc.collect()
        types_before = _types()
        tracemalloc.start(1)
        before = tracemalloc.take_snapshot()
        waiting = [
            asyncio.ensure_future(fired_at(make_trigger(kind, p, poll, seed=i if seeded else None)))
            for i, p in enumerate(patterns[1:])
        ]
        await asyncio.sleep(max(3.0, size / 500))  # every trigger made its first check and waits
        gc.collect()
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        grown = {k: n - types_before.get(k, 0) for k, n in _types().items()}
        began = time.perf_counter()
        gc.collect()
        full_pass = time.perf_counter() - began
        sites = after.compare_to(before, "lineno")
        print(f"{size} waiting triggers of kind {kind} ({'seeded' if seeded else 'unseeded'}, poll {poll:g}s)")
        print(
            f"Python memory {sum(s.size_diff for s in sites) / size:.0f} B/wait; GC-tracked objects "
            f"{sum(grown.values()) / size:.1f}/wait ({len(gc.get_objects())} in all); "
            f"one full collection {full_pass * 1000:.0f} ms"
        )
        rows = [
            [
                f"{s.size_diff / size:.0f}",
                f"{s.count_diff / size:.2f}",
                f"{s.traceback[0].filename}:{s.traceback[0].lineno}",
            ]
            for s in sites[:top]
        ]
        print(table(["B/wait", "blocks/wait", "allocated at"], rows))
        kinds = sorted(grown.items(), key=lambda kv: -kv[1])[:top]
        print(table(["objects/wait", "type"], [[f"{n / size:.2f}", name] for name, n in kinds]))
        for task in (*waiting, warm):
            task.cancel()
        await asyncio.gather(*waiting, warm, return_exceptions=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000, help="waiting triggers")
    parser.add_argument("--poll", type=float, default=60.0, help="fallback poll interval, seconds")
    parser.add_argument("--seeded", action="store_true", help="give each trigger its own seeded jitter generator")
    parser.add_argument("--kind", default="inotify", choices=KINDS, help="which trigger waits")
    parser.add_argument("--top", type=int, default=12, help="allocation sites and types listed")
    arguments = parser.parse_args()
    quiet_logs()
    asyncio.run(measure(arguments.size, arguments.poll, arguments.seeded, arguments.top, arguments.kind))
