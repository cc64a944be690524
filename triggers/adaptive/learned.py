"""A learned cadence: poll densely when the file usually arrives, sparsely away from that time.

Past runs' arrivals (offsets in seconds from their run's anchor, the logical date) predict a
window, their central ``coverage`` share (by default the 10th to 90th percentile). Inside it the
delay is ``min_interval``; outside, ``distance_share`` of the distance to it, clamped: long before
it ``max_interval``, shrinking as it nears, and on a late day growing with the lateness (a file
hours late costs a few checks an hour). "Now" is the end of the history's last attempt, so the
cadence stays pure. With fewer than ``MIN_ARRIVALS`` arrivals, or no anchor, it is the seed's rule.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from triggers.adaptive.rule import Adaptive
from triggers.errors import ConfigurationError
from triggers.history import Attempt
from triggers.validation import require_number

#: Fewer past arrivals than this say too little about a window: use the seed's rule.
MIN_ARRIVALS = 3


def quantile(ordered: Sequence[float], q: float) -> float:
    """Return the ``q`` quantile of non-empty, sorted ``ordered`` by linear interpolation."""
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Learned(Adaptive):
    """The seed's rule's bounds, plus past arrivals that shape the delay around a predicted window."""

    kind: ClassVar[str] = "learned"
    anchor: float | None = None
    arrivals: tuple[float, ...] = ()
    coverage: float = 0.8
    distance_share: float = 0.25

    def __post_init__(self) -> None:
        super().__post_init__()
        if not all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in self.arrivals):
            raise ConfigurationError("arrivals", f"must be offsets in seconds, got {self.arrivals!r}")
        object.__setattr__(self, "arrivals", tuple(float(a) for a in self.arrivals))
        require_number("coverage", self.coverage, "(0, 1]")
        require_number("distance_share", self.distance_share, "(0, 1]")

    def arrival_window(self) -> tuple[float, float] | None:
        """Return the predicted window (start, end) as offsets from the anchor, or None if not learned."""
        if self.anchor is None or len(self.arrivals) < MIN_ARRIVALS:
            return None
        ordered = sorted(self.arrivals)
        tail = (1 - self.coverage) / 2
        return quantile(ordered, tail), quantile(ordered, 1 - tail)

    def next_delay(self, history: Sequence[Attempt], rng: random.Random) -> float:
        window = self.arrival_window()
        if window is None or not history or self.anchor is None:
            return super().next_delay(history, rng)
        last = history[-1]
        now = last.at + last.duration - self.anchor
        start, end = window
        if start <= now <= end:
            return self.min_interval
        distance = start - now if now < start else now - end
        return self.clamp(distance * self.distance_share)
