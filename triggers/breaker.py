"""The circuit breaker: stop calling a source that keeps erroring, probe it again later.

closed ──(failure_threshold consecutive errors)──> open ──(recovery_timeout)──> half_open
half_open ──(one clean answer)──> closed;  half_open ──(an error)──> open
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from triggers.validation import require_positive, require_whole

BreakerState = Literal["closed", "open", "half_open"]


def validate_breaker(failure_threshold: int | None, recovery_timeout: float) -> None:
    """Raise ConfigurationError naming the argument when the breaker settings are invalid."""
    if failure_threshold is not None:
        require_whole("failure_threshold", failure_threshold)
    require_positive("recovery_timeout", recovery_timeout)


@dataclass
class CircuitBreaker:
    """Mutable breaker state; every method takes the current time so tests drive the clock."""

    failure_threshold: int
    recovery_timeout: float
    state: BreakerState = "closed"
    failures: int = 0
    opened_at: float = 0.0

    def __post_init__(self) -> None:
        validate_breaker(self.failure_threshold, self.recovery_timeout)

    def allows(self, now: float) -> bool:
        """Return True when a call may be made now (moving open to half_open when it is time)."""
        if self.state == "open" and now - self.opened_at >= self.recovery_timeout:
            self.state = "half_open"
        return self.state != "open"

    def seconds_until_probe(self, now: float) -> float:
        """Return how long until the open breaker lets one probe through (0 unless open)."""
        if self.state != "open":
            return 0.0
        return max(0.0, self.opened_at + self.recovery_timeout - now)

    def record(self, errored: bool, now: float) -> BreakerState:
        """Record a call's result and return the state after it."""
        if not errored:
            self.failures, self.state = 0, "closed"
            return self.state
        self.failures += 1
        if self.state == "half_open" or self.failures >= self.failure_threshold:
            self.state = "open"
            self.opened_at = now
        return self.state
