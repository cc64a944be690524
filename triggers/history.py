"""Attempt records: what happened at each check (slotted: a wait holds up to max_records)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from triggers.outcomes import OutcomeKind


@dataclass(frozen=True, slots=True)
class Attempt:
    """One check: its start (epoch seconds), duration, outcome, error class and the delay chosen after it.

    ``interval`` is None for the last attempt of a wait.
    """

    at: float
    duration: float
    outcome: OutcomeKind
    error: str | None = None
    interval: float | None = None

    @property
    def succeeded(self) -> bool:
        return self.outcome == "met"

    @property
    def errored(self) -> bool:
        return self.error is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Attempt:
        """Rebuild an attempt; raises KeyError or TypeError on a malformed record."""
        return cls(
            at=float(data["at"]),
            duration=float(data["duration"]),
            outcome=data["outcome"],
            error=data.get("error"),
            interval=None if data.get("interval") is None else float(data["interval"]),
        )


def run_of(error: str | None, previous_error: str | None, previous_run: int) -> int:
    """Return how many attempts in a row ended with ``error``, given the run before this attempt (0: no error)."""
    if error is None:
        return 0
    return previous_run + 1 if error == previous_error else 1


def trailing_run(attempts: Sequence[Attempt]) -> int:
    """Return how many of the newest ``attempts`` in a row share the newest one's error (0: none)."""
    error = attempts[-1].error if attempts else None
    if error is None:
        return 0
    return next((n for n, a in enumerate(reversed(attempts)) if a.error != error), len(attempts))
