"""The learned cadence against the seed's rule (and a fixed interval) on a simulated partner.

    python -m benchmarks.adaptive_cadences [--days 1000] [--seed 7] [--start 4] [--late-share 0.05]

Each simulated day is one DAG run anchored at midnight; the sensor starts ``--start`` hours
later. The partner's file usually lands at 06:00 plus a lognormal delay (median 20 min, long
right tail); on ``--late-share`` of the days it is hours late (uniform 2 to 6 h more). Every
strategy polls with no inotify (a network share), deciding each delay with the real cadence
objects as the poll loop does (the delay after an attempt is decided with that attempt in the
history, and recorded on it). History carries over between days as the Variable store keeps it:
the last ``history_size`` attempts and the last ``history_size`` arrival offsets (the file's
mtime, so the learned window is not biased by the polling interval).

Printed per strategy: checks per day (mean, 95th percentile) and time to detection, from the
file landing to the check that saw it (mean, median, 95th percentile, max), on all days and on
the late days alone.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from triggers.adaptive import Adaptive, Learned
from triggers.cadence import Cadence, Fixed
from triggers.history import Attempt

HOUR = 3600.0
USUAL_ARRIVAL = 6 * HOUR
TIMEOUT = 16 * HOUR
BOUNDS = {"initial_interval": 60, "min_interval": 30, "max_interval": 300, "history_size": 20}


@dataclass(frozen=True)
class Day:
    """One simulated run: when the sensor starts and when the file lands, in seconds after the anchor."""

    anchor: float
    start: float
    arrival: float
    late: bool


@dataclass(frozen=True)
class Outcome:
    checks: int
    latency: float | None  # None: not found before the timeout


def partner_days(days: int, rng: random.Random, start_hours: float, late_share: float) -> list[Day]:
    """Return ``days`` simulated runs of a partner who is usually a little after 06:00."""
    made = []
    for number in range(days):
        delay = rng.lognormvariate(math.log(20 * 60), 0.6)
        late = rng.random() < late_share
        if late:
            delay += rng.uniform(2 * HOUR, 6 * HOUR)
        made.append(Day(anchor=number * 24 * HOUR, start=start_hours * HOUR, arrival=USUAL_ARRIVAL + delay, late=late))
    return made


def wait(cadence: Cadence, history: Sequence[Attempt], day: Day) -> tuple[Outcome, list[Attempt]]:
    """Poll until the file is seen or the timeout; return the outcome and the history after the day."""
    records = list(history)
    now, checks = day.start, 0
    rng = random.Random(0)
    while now < day.start + TIMEOUT:
        checks += 1
        found = now >= day.arrival
        attempt = Attempt(at=day.anchor + now, duration=0.0, outcome="met" if found else "not_yet")
        if found:
            records.append(attempt)
            return Outcome(checks, now - day.arrival), records
        delay = cadence.next_delay((*records, attempt), rng)
        records.append(replace(attempt, interval=delay))
        now += delay
    return Outcome(checks, None), records


def simulate(days: Sequence[Day], build: Callable[[float, tuple[float, ...]], Cadence]) -> list[Outcome]:
    """Run every day in order, carrying history and arrivals over as the sensor's store does."""
    limit = BOUNDS["history_size"]
    history: list[Attempt] = []
    arrivals: list[float] = []
    outcomes = []
    for day in days:
        outcome, history = wait(build(day.anchor, tuple(arrivals)), history, day)
        history = history[-limit:]
        if outcome.latency is not None:
            arrivals = [*arrivals, day.arrival][-limit:]
        outcomes.append(outcome)
    return outcomes


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def row(name: str, outcomes: Sequence[Outcome], days: Sequence[Day]) -> str:
    checks = [o.checks for o in outcomes]
    latency = [o.latency for o in outcomes if o.latency is not None]
    late = [o.latency for o, d in zip(outcomes, days, strict=True) if d.late and o.latency is not None]
    missed = sum(o.latency is None for o in outcomes)
    late_mean = f"{statistics.mean(late):>11.0f}" if late else f"{'-':>11}"
    return (
        f"{name:<22}{statistics.mean(checks):>9.1f}{percentile(checks, 0.95):>8.0f}"
        f"{statistics.mean(latency):>10.1f}{statistics.median(latency):>8.1f}{percentile(latency, 0.95):>8.1f}"
        f"{max(latency):>8.1f}{late_mean}{missed:>8}"
    )


STRATEGIES: dict[str, Callable[[float, tuple[float, ...]], Cadence]] = {
    "fixed 60 s": lambda anchor, arrivals: Fixed(60),
    "seed rule (adaptive)": lambda anchor, arrivals: Adaptive(**BOUNDS),
    "learned": lambda anchor, arrivals: Learned(**BOUNDS, anchor=anchor, arrivals=arrivals),
    "learned, 90% window": lambda anchor, arrivals: Learned(**BOUNDS, anchor=anchor, arrivals=arrivals, coverage=0.9),
}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start", type=float, default=4.0, help="hours after midnight the sensor starts")
    parser.add_argument("--late-share", type=float, default=0.05, help="share of days the file is hours late")
    args = parser.parse_args(argv)
    days = partner_days(args.days, random.Random(args.seed), args.start, args.late_share)
    print(
        f"{args.days} days; sensor starts {args.start:g} h after the anchor; file usually 06:00 + lognormal "
        f"(median 20 min), {sum(d.late for d in days)} late days (+2..6 h); "
        f"interval bounds {BOUNDS['min_interval']}..{BOUNDS['max_interval']} s, history {BOUNDS['history_size']}\n"
    )
    print(f"{'':<22}{'checks per day':>17}{'time to detection (s)':>34}{'late days':>11}{'missed':>8}")
    print(f"{'strategy':<22}{'mean':>9}{'p95':>8}{'mean':>10}{'p50':>8}{'p95':>8}{'max':>8}{'mean':>11}{'days':>8}")
    for name, build in STRATEGIES.items():
        print(row(name, simulate(days, build), days))


if __name__ == "__main__":
    main()
