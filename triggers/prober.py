"""One attempt, the same in poke() and in a trigger: breaker gate, timed check, change logging.

The sensor keeps a Prober across pokes (poke mode); the poll loop keeps one across a wait.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from triggers.breaker import CircuitBreaker
from triggers.checks import Check, Probe, outcome_of
from triggers.outcomes import Failed, Met, NotYet, Outcome, is_error

#: Opens a probe for one attempt and closes it after (a check's ``opened``).
Opener = Callable[[], AbstractAsyncContextManager[Probe]]

#: What a poke says while the breaker is open: not yet, and counted as an error (no call was made).
BREAKER_OPEN = NotYet("circuit breaker open", error="CircuitOpen")

#: Breaker transitions a prober keeps for the report.
MAX_TRANSITIONS = 20


class Log(Protocol):
    """What is needed of a logger: Airflow's structlog loggers and stdlib ones both fit."""

    def debug(self, msg: Any, /, *args: Any) -> Any: ...
    def info(self, msg: Any, /, *args: Any) -> Any: ...
    def warning(self, msg: Any, /, *args: Any) -> Any: ...
    def error(self, msg: Any, /, *args: Any) -> Any: ...
    def log(self, level: int, msg: Any, /, *args: Any) -> Any: ...


@dataclass
class Prober:
    """Runs attempts of ``check`` and remembers what the last one said."""

    check: Check
    attempt_timeout: float | None = None
    breaker: CircuitBreaker | None = None
    log: Log = field(default_factory=lambda: logging.getLogger("triggers.prober"))
    clock: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    #: absolute end of the wait (epoch seconds, on ``clock``): no attempt outlives it
    deadline: float | None = None
    count: int = 0
    last: Outcome | None = None
    #: breaker state changes ({"at", "from", "to"}), the last MAX_TRANSITIONS of them, for the report
    transitions: list[dict[str, Any]] = field(default_factory=list)
    _last_key: AnswerKey | None = field(default=None, repr=False)

    @functools.cached_property
    def what(self) -> str:
        """Return the check's description for log lines, built once: a frozen check's never changes."""
        return self.check.describe()

    def blocked_for(self) -> float | None:
        """Return seconds until the open breaker allows a call, or None when a call may go now."""
        if self.breaker is None or self.breaker.allows(self.clock()):
            return None
        return self.breaker.seconds_until_probe(self.clock())

    def time_allowed(self) -> tuple[float | None, bool]:
        """Return how long the next attempt may take, and whether the deadline (not attempt_timeout) sets it.

        ``min(attempt_timeout, deadline - now)``: a check that hangs ends the wait at its deadline
        with the loop's own timeout report, not with Airflow's backstop "Trigger timeout".
        """
        if self.deadline is None:
            return self.attempt_timeout, False
        left = max(0.0, self.deadline - self.clock())
        if self.attempt_timeout is None or left < self.attempt_timeout:
            return left, True
        return self.attempt_timeout, False

    async def measured(self, probe: Probe) -> tuple[Outcome, float]:
        """Check once through ``probe``; return the outcome and its duration in seconds."""
        if probe.wakeup is not None:
            probe.wakeup.clear()  # a change signalled from now on must cause another check
        begun = self.monotonic()
        timeout, deadline_bound = self.time_allowed()
        outcome = await outcome_of(probe, timeout, deadline_bound=deadline_bound)
        return self.took(outcome), self.monotonic() - begun

    def took(self, outcome: Outcome) -> Outcome:
        """Count ``outcome`` as this wait's attempt (a check's, or an answer another wait's asking brought)."""
        self.count += 1
        self.last = outcome
        self._log_outcome(outcome)
        self._feed_breaker(outcome)
        return outcome

    async def once(self, opened: Opener | None = None) -> Outcome:
        """Open the check, attempt once (unless the breaker is open), release it: one poke.

        ``opened`` opens the probe instead of ``check.opened`` (a gather's session over a ledger
        that outlives the poke).
        """
        wait = self.blocked_for()
        if wait is not None:
            self.log.info("%s: circuit breaker open, skipping this check (%.0fs to a probe)", self.what, wait)
            return BREAKER_OPEN
        async with (opened or self.check.opened)() as probe:
            outcome, _ = await self.measured(probe)
            return outcome

    def _feed_breaker(self, outcome: Outcome) -> None:
        if self.breaker is None:
            return
        before = self.breaker.state
        after = self.breaker.record(is_error(outcome), self.clock())
        if after != before:
            self.transitions.append({"at": round(self.clock(), 3), "from": before, "to": after})
            del self.transitions[:-MAX_TRANSITIONS]
            self.log.log(
                logging.WARNING if after == "open" else logging.INFO,
                "%s: circuit breaker %s -> %s after %d consecutive errors",
                self.what,
                before,
                after,
                self.breaker.failures,
            )

    def _log_outcome(self, outcome: Outcome) -> None:
        self._last_key = log_outcome(self.log, self.what, self.count, outcome, self._last_key)


#: What makes two outcomes "the same answer" for logging (see :func:`log_outcome`): the hash of
#: (kind, error, reason). A hash, not the tuple: 10,000 waiting file sensors each kept their last
#: reason string and a tuple (190 bytes a wait) for this; a collision (odds 2**-64) would only
#: log one line at debug.
AnswerKey = int


def log_outcome(log: Log, what: str, count: int, outcome: Outcome, last_key: AnswerKey | None) -> AnswerKey:
    """Log ``outcome`` of attempt ``count`` when it says something new since ``last_key``; return its key.

    Repeats of the same answer stay at debug. A repeated error is the same answer even when its
    message varies (a file torn at another byte, a timeout after a different part of the body):
    one WARNING per fault, not per tick.
    """
    reason = "" if isinstance(outcome, Met) else outcome.reason
    key = hash((outcome.kind, outcome.error, "" if outcome.error is not None else reason))
    if key == last_key:
        log.debug("%s: attempt %d: %s %s", what, count, outcome.kind, reason)
    elif isinstance(outcome, Met):
        log.info("%s: met on attempt %d", what, count)
    elif isinstance(outcome, Failed):
        log.error("%s: failed on attempt %d: %s", what, count, outcome.reason)
    elif outcome.error is not None:
        log.warning("%s: not yet (%s: %s), attempt %d", what, outcome.error, reason, count)
    else:
        log.info("%s: not yet (%s), attempt %d", what, reason, count)
    return key
