"""How an adaptive wait performed: in the report, the XCom and gauges ``deferrable_sensors.adaptive.<name>``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from triggers.compat import Stats
from triggers.history import Attempt
from triggers.metrics import PREFIX


@dataclass(frozen=True)
class Performance:
    """One wait's numbers, JSON-ready through :meth:`to_dict`."""

    attempts: int  # checks made in this wait
    success_rate: float | None  # in the rule's window (earlier runs included): what the rule acts on
    mean_check_duration: float | None  # seconds per check in this wait
    max_check_duration: float | None
    current_interval: float | None  # the last delay chosen, where the next run starts from
    time_to_detection: float | None  # from the start of the wait to the check that found the file

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_detail(cls, detail: Mapping[str, Any]) -> Performance | None:
        """Return the performance a trigger put in a report's detail, or None if there is none readable."""
        data = detail.get("performance")
        if not isinstance(data, dict):
            return None
        try:
            return cls(**data)
        except TypeError:  # written by another version: the worker summarises instead
            return None


def summarize(
    wait: Sequence[Attempt],
    window: Sequence[Attempt],
    *,
    interval: float | None,
    started: float | None,
    detected: float | None,
) -> Performance:
    """Return the performance of a wait made of ``wait``, judged by the rule's ``window``.

    ``started`` and ``detected`` are epoch seconds (``detected`` None when not found).
    """
    durations = [a.duration for a in wait]
    to_detection = None if detected is None or started is None else round(max(0.0, detected - started), 3)
    return Performance(
        attempts=len(wait),
        success_rate=round(sum(a.succeeded for a in window) / len(window), 4) if window else None,
        mean_check_duration=round(sum(durations) / len(durations), 6) if durations else None,
        max_check_duration=max(durations) if durations else None,
        current_interval=interval,
        time_to_detection=to_detection,
    )


def emit_gauges(performance: Performance, tags: Mapping[str, str]) -> None:
    """Send every number that is known as a gauge tagged with ``tags``."""
    for name, value in performance.to_dict().items():
        if value is not None:
            Stats.gauge(f"{PREFIX}.adaptive.{name}", float(value), tags=dict(tags))
