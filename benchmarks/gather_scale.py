"""Gather overhead and the cost of a slow condition.

    python -m benchmarks.gather_scale [--gathers 1,100,1000] [--conditions 3]

1. Overhead: ``gathers`` AllOf waits run at once in one event loop, each of ``conditions``
   in-memory conditions that say "not yet" for 5 rounds and then "met" (no I/O: what is measured
   is the gather itself). Prints wall time, attempts, CPU microseconds per condition attempt and
   the worst lateness of a 10 ms ticker on the same loop (how long the loop was held).
2. A slow condition: AllOf(a 1 s condition, a 0.01 s one that turns ready after 0.3 s) at a
   0.05 s interval. With rounds that carry slow attempts over (``round_wait`` 0.05 s) the fast
   one is seen ready soon after 0.3 s; with rounds that wait for every attempt (poke mode's
   ``round_wait=None``) it is seen only after the slow attempt ends.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from dataclasses import dataclass
from typing import ClassVar

from triggers.cadence import Fixed
from triggers.checks import Check
from triggers.gather import AllOf
from triggers.outcomes import Met, NotYet, Outcome
from triggers.poll_loop import PollLoop

ROUNDS_BEFORE_MET = 5


@dataclass(frozen=True)
class Countdown(Check):
    """Not yet for ``ROUNDS_BEFORE_MET`` attempts of this instance, then met (state kept per object)."""

    kind: ClassVar[str] = ""
    name: str

    async def check(self) -> Outcome:
        left = COUNTS[self.name] = COUNTS.get(self.name, ROUNDS_BEFORE_MET) - 1
        return Met(self.name) if left < 0 else NotYet("counting down")


@dataclass(frozen=True)
class ReadyAfter(Check):
    """Takes ``duration`` seconds per attempt; met once ``ready_at`` (monotonic) has passed."""

    kind: ClassVar[str] = ""
    duration: float
    ready_at: float

    async def check(self) -> Outcome:
        await asyncio.sleep(self.duration)
        return Met(True) if time.monotonic() >= self.ready_at else NotYet("not yet")


COUNTS: dict[str, int] = {}


async def ticker_lateness(stop: asyncio.Event) -> float:
    """Return the worst lateness (seconds) of a 10 ms sleep while the benchmark runs."""
    worst = 0.0
    while not stop.is_set():
        begun = time.monotonic()
        await asyncio.sleep(0.01)
        worst = max(worst, time.monotonic() - begun - 0.01)
    return worst


async def overhead(gathers: int, conditions: int) -> tuple[float, int, float, float]:
    COUNTS.clear()
    loops = [
        PollLoop(
            check=AllOf({f"c{j}": Countdown(f"g{i}c{j}") for j in range(conditions)}, round_wait=1.0),
            cadence=Fixed(0.01),
            log=logging.getLogger("bench.quiet"),
        )
        for i in range(gathers)
    ]
    stop = asyncio.Event()
    ticker = asyncio.ensure_future(ticker_lateness(stop))
    cpu, wall = time.process_time(), time.monotonic()
    reports = await asyncio.gather(*(loop.run() for loop in loops))
    wall, cpu = time.monotonic() - wall, time.process_time() - cpu
    stop.set()
    assert all(r.outcome == "met" for r in reports)
    attempts = gathers * conditions * (ROUNDS_BEFORE_MET + 1)
    return wall, attempts, cpu / attempts * 1e6, await ticker


async def slow_beside_fast(round_wait: float | None) -> float:
    start = time.monotonic()
    gather = AllOf(
        {"slow": ReadyAfter(1.0, start), "fast": ReadyAfter(0.01, start + 0.3)}, round_wait=round_wait
    ).for_wait(started_at=time.time(), round_wait=round_wait, attempt_timeout=None)
    report = await PollLoop(check=gather, cadence=Fixed(0.05), log=logging.getLogger("bench.quiet")).run()
    return float(report.detail["conditions"]["fast"]["ready_at"] - report.detail["started_at"])


async def main(gathers: list[int], conditions: int) -> None:
    print(
        f"{'gathers':>8} {'conditions':>10} {'wall s':>8} {'attempts':>9} {'CPU us/attempt':>15} {'loop held ms':>13}"
    )
    for count in gathers:
        wall, attempts, per, late = await overhead(count, conditions)
        print(f"{count:>8} {conditions:>10} {wall:>8.2f} {attempts:>9} {per:>15.1f} {late * 1000:>13.1f}")
    print()
    print(f"{'rounds':<40} {'fast condition seen ready after':>32}")
    for label, round_wait in (("carry slow attempts over (0.05 s)", 0.05), ("wait for every attempt (poke)", None)):
        print(f"{label:<40} {await slow_beside_fast(round_wait):>30.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gathers", default="1,100,1000")
    parser.add_argument("--conditions", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("triggers").setLevel(logging.WARNING)
    logging.getLogger("bench").setLevel(logging.WARNING)
    asyncio.run(main([int(n) for n in args.gathers.split(",")], args.conditions))
