"""Detection latency: how long after a file lands does the waiting trigger fire?

    python -m benchmarks.files_latency [--trials 100] [--poll 2]

For each kind (see benchmarks.files_setup), ``trials`` triggers wait at once, each for its own
file in a temporary directory; the files are written at random moments spread over one poll
interval (so the polling phase is uniform), and each latency runs from the file's close to its
trigger's event. Prints p50/p99/max and the ratio to Airflow's FileTrigger.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from benchmarks.files_setup import KINDS, make_trigger, percentile, quiet_logs, ratio, table
from benchmarks.measure import detection

SETTLE = 1.0  # seconds for every trigger to make its first (not yet) check


async def latencies(kind: str, directory: Path, trials: int, poll: float) -> list[float]:
    """Return one detection latency (seconds) per trial."""
    paths = [directory / kind / f"drop-{i:04d}.csv" for i in range(trials)]
    paths[0].parent.mkdir(parents=True)

    async def land(index: int) -> None:
        paths[index].write_bytes(b"id,total\n1,299.99\n")  # tiny: the write itself is not what is measured

    triggers = [make_trigger(kind, str(p), poll, seed=i) for i, p in enumerate(paths)]
    return await detection(triggers, land, spread=poll, settle=SETTLE)


async def main(trials: int, poll: float) -> None:
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="files-latency-") as tmp:
        for kind in KINDS:
            results[kind] = await latencies(kind, Path(tmp), trials, poll)
    reference = percentile(results["airflow"], 0.5)
    rows = []
    for kind, values in results.items():
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        rows.append([kind, f"{poll:g}s", trials, f"{p50 * 1000:.1f}", f"{p99 * 1000:.1f}", f"{max(values) * 1000:.1f}"])
        rows[-1].append(ratio(p50, reference))
    print(f"Detection latency, file closed -> trigger event ({trials} concurrent waits per kind)")
    print(table(["trigger", "poll", "trials", "p50 ms", "p99 ms", "max ms", "p50 vs FileTrigger"], rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--poll", type=float, default=2.0, help="poll interval in seconds, the same for all")
    arguments = parser.parse_args()
    quiet_logs()
    asyncio.run(main(arguments.trials, arguments.poll))
