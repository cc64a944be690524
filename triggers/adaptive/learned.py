"""A learned cadence: poll densely when the file usually arrives, sparsely away from that time.

Past runs recorded when the file arrived, as offsets in seconds from their run's anchor (the DAG
run's logical date). From those offsets the cadence predicts an arrival window, the central
``coverage`` share of past arrivals (by default the 10th to the 90th percentile), and picks the
next delay from where "now" falls relative to the window:

- inside it: dense, every ``min_interval``;
- outside it: ``distance_share`` of the distance to the window (a quarter by default), clamped
  to ``[min_interval, max_interval]``. Long before the window that is ``max_interval``; closing
  in, the delay shrinks with the distance, so a file a little early is still seen soon after it
  lands. After the window (a late day) the delay grows with the lateness, so a file that is
  hours late costs a few checks an hour, and is seen within about a quarter of its lateness.

"Now" is the end of the last attempt in the history, so the cadence stays a pure function of
its parameters and the history. With fewer than ``MIN_ARRIVALS`` past arrivals, or no anchor,
it falls back to the seed's rule (:class:`~triggers.adaptive.rule.Adaptive`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

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

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Learned:
        arrivals = params.get("arrivals", ())
        return cls(**{**params, "arrivals": tuple(arrivals) if isinstance(arrivals, (list, tuple)) else arrivals})

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

    def describe_window(self) -> Mapping[str, float] | None:
        """Return the window as ``{"start": ..., "end": ...}`` offsets for reports, or None."""
        window = self.arrival_window()
        return None if window is None else {"start": window[0], "end": window[1]}
