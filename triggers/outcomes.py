"""The three answers a check can give: met, not yet, failed.

Frozen and slotted (every waiting trigger holds its last one). ``detail`` is what a check wants the
report to show (the last response, per-order or per-condition status): JSON-serialisable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

OutcomeKind = Literal["met", "not_yet", "failed"]


@dataclass(frozen=True, slots=True)
class Met:
    """The condition holds; ``value`` becomes the sensor's XCom."""

    value: Any = None
    detail: dict[str, Any] = field(default_factory=dict)
    kind: OutcomeKind = field(default="met", init=False)
    error: None = field(default=None, init=False)


@dataclass(frozen=True, slots=True)
class NotYet:
    """The condition does not hold yet.

    ``error`` names the exception class when a transient error caused it (such attempts feed
    the circuit breaker and the backoff); ``retry_after`` is the source's own hint in seconds.
    """

    reason: str
    error: str | None = None
    retry_after: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    kind: OutcomeKind = field(default="not_yet", init=False)


@dataclass(frozen=True, slots=True)
class Failed:
    """The condition can never hold; the sensor fails at once with ``reason``."""

    reason: str
    error: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    kind: OutcomeKind = field(default="failed", init=False)


Outcome = Met | NotYet | Failed


def is_error(outcome: Outcome) -> bool:
    """Return True for an outcome caused by an error (what the breaker and backoff count)."""
    return outcome.error is not None
