"""The seed's adaptive rule as a cadence: poll less when checks keep finding the file, more when not.

Over the window (the last ``history_size`` attempts across DAG runs: the history loaded from the
Variable, then this wait's), a success rate above 80 % multiplies the interval by 1.5 and one
below 30 % by 0.7, clamped to ``[min_interval, max_interval]``. A success is a met check (a
complete matching file); not there, still being written or a transient error is a failure. The
interval it starts from is the newest one recorded on an attempt (the delay actually used, an
override included), else ``initial_interval``; applied once per delay, the rule compounds. The
thresholds are strict integer ratios (no float rounding): with 20 attempts, 16 successes (80 %)
and 6 (30 %) keep the interval; 17 grow it, 5 shrink it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from triggers.cadence import Cadence
from triggers.errors import ConfigurationError
from triggers.history import Attempt
from triggers.validation import require_positive, require_whole

#: A success rate above HIGH_RATE (as numerator, denominator) grows the interval by GROW.
HIGH_RATE = (8, 10)
#: A success rate below LOW_RATE shrinks the interval by SHRINK.
LOW_RATE = (3, 10)
GROW = 1.5
SHRINK = 0.7


def last_interval(history: Sequence[Attempt]) -> float | None:
    """Return the interval recorded on the most recent attempt that has one, or None."""
    return next((a.interval for a in reversed(history) if a.interval is not None), None)


@dataclass(frozen=True)
class Adaptive(Cadence):
    """The seed's rule; :meth:`next_delay` is pure and ignores the random source."""

    kind: ClassVar[str] = "adaptive"
    initial_interval: float = 60.0
    min_interval: float = 30.0
    max_interval: float = 300.0
    history_size: int = 20

    def __post_init__(self) -> None:
        require_positive("min_interval", self.min_interval)
        require_positive("max_interval", self.max_interval)
        require_positive("initial_interval", self.initial_interval)
        if self.max_interval < self.min_interval:
            raise ConfigurationError(
                "max_interval", f"must be >= min_interval ({self.min_interval}), got {self.max_interval}"
            )
        if not self.min_interval <= self.initial_interval <= self.max_interval:
            raise ConfigurationError(
                "initial_interval",
                f"must be within [min_interval, max_interval] = [{self.min_interval}, {self.max_interval}], "
                f"got {self.initial_interval}",
            )
        require_whole("history_size", self.history_size)

    def clamp(self, interval: float) -> float:
        """Return ``interval`` limited to ``[min_interval, max_interval]``."""
        return min(self.max_interval, max(self.min_interval, interval))

    def next_delay(self, history: Sequence[Attempt], rng: random.Random) -> float:
        window = history[-self.history_size :]
        successes = sum(1 for a in window if a.succeeded)
        used = last_interval(history)
        interval = self.initial_interval if used is None else self.clamp(used)
        if window and successes * HIGH_RATE[1] > HIGH_RATE[0] * len(window):
            interval *= GROW
        elif window and successes * LOW_RATE[1] < LOW_RATE[0] * len(window):
            interval *= SHRINK
        return self.clamp(interval)
