"""The one generic wait: check, record, decide the delay, wait (or wake early), repeat.

Time, the pause between checks and randomness are injected so tests drive the loop with a fake
clock and assert exact sequences. The deadline is absolute (epoch seconds): a loop rebuilt after a triggerer
restart waits only what is left of the original timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from triggers.breaker import CircuitBreaker
from triggers.cadence import Cadence, next_interval
from triggers.checks import Check, Probe
from triggers.history import Attempt
from triggers.outcomes import Failed, Met, NotYet, Outcome
from triggers.prober import Log, Prober
from triggers.report import Report

Observer = Callable[[Attempt, Outcome], None]


#: Waits ``seconds``, or less when the event (a probe's wakeup) is set; None: no early wake.
Pause = Callable[[float, asyncio.Event | None], Awaitable[None]]


async def pause_or_wake(seconds: float, wakeup: asyncio.Event | None = None) -> None:
    """Return after ``seconds``, or as soon as ``wakeup`` is set.

    The event is awaited in the caller's task under a timer: helper tasks racing a sleep against
    the event would cost every one of thousands of waiting triggers two tasks per pause.
    """
    if wakeup is None:
        await asyncio.sleep(seconds)
        return
    if wakeup.is_set():
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await wakeup.wait()


@dataclass
class PollLoop:
    """Wait until ``check`` is met or failed, or until ``deadline``; return a :class:`Report`.

    Each attempt may take ``min(attempt_timeout, deadline + attempt_grace - now)``: a check that
    hangs ends the wait at its deadline with a timeout report.
    """

    check: Check
    cadence: Cadence
    deadline: float | None = None
    attempt_timeout: float | None = None
    breaker: CircuitBreaker | None = None
    max_records: int = 20
    history: Sequence[Attempt] = ()
    rng: random.Random = field(default_factory=random.Random)
    clock: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    pause: Pause = pause_or_wake
    log: Log = field(default_factory=lambda: logging.getLogger("triggers.poll_loop"))
    observers: Sequence[Observer] = ()
    #: seconds an attempt may run past ``deadline``: for a check that bounds itself and would lose
    #: its report if cut (a gather's round returns every condition's status within its round_wait)
    attempt_grace: float = 0.0

    async def run(self) -> Report:
        """Run the wait to its end. Cancellation (the task was cleared) propagates."""
        # A list trimmed on append, not a deque(maxlen): a deque allocates a 64-slot block (~0.5 KB)
        # up front, held by every waiting trigger for the whole wait.
        self._limit = max(self.max_records, 1)
        self._records: list[Attempt] = list(self.history[-self._limit :])
        self._count = 0
        self._started = self.clock()
        self._last: Outcome | None = None
        self._prober = Prober(
            self.check,
            self.attempt_timeout,
            self.breaker,
            self.log,
            clock=self.clock,
            monotonic=self.monotonic,
            deadline=None if self.deadline is None else self.deadline + self.attempt_grace,
        )
        async with self.check.opened() as probe:
            while True:
                remaining = self._remaining()
                if remaining is not None and remaining <= 0:
                    return self._timed_out()
                blocked = self._prober.blocked_for()
                if blocked is not None:
                    await self.pause(blocked if remaining is None else min(blocked, remaining), None)
                    continue
                outcome, duration = await self._look(probe)
                if isinstance(outcome, (Met, Failed)):
                    self._record(outcome, duration, interval=None)
                    return self._finish(outcome)
                delay = self._next_delay(outcome, duration)
                remaining = self._remaining()
                await self.pause(delay if remaining is None else max(0.0, min(delay, remaining)), probe.wakeup)

    def _remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - self.clock()

    async def _look(self, probe: Probe) -> tuple[Outcome, float]:
        outcome, duration = await self._prober.measured(probe)
        self._count = self._prober.count
        remaining = self._remaining()
        cut_at_deadline = outcome.error == "TimeoutError" and remaining is not None and remaining <= 0
        if self._last is None or not cut_at_deadline:
            # An attempt the deadline cut short (a debounce or a slow source) says nothing new about
            # the source: the timeout report keeps the last real answer.
            self._last = outcome
        return outcome, duration

    def _next_delay(self, outcome: NotYet, duration: float) -> float:
        provisional = (*self._records, self._make_attempt(outcome, duration, None))
        delay = next_interval(self.cadence, provisional, outcome.retry_after, self.rng)
        self._record(outcome, duration, interval=delay)
        self.log.debug("%s: attempt %d not yet; next in %.2fs", self.check.describe(), self._count, delay)
        return delay

    def _make_attempt(self, outcome: Outcome, duration: float, interval: float | None) -> Attempt:
        return Attempt(
            at=self.clock() - duration,
            duration=round(duration, 6),
            outcome=outcome.kind,
            error=outcome.error,
            interval=None if interval is None else round(interval, 3),
        )

    def _record(self, outcome: Outcome, duration: float, interval: float | None) -> None:
        record = self._make_attempt(outcome, duration, interval)
        self._records.append(record)
        if len(self._records) > self._limit:
            del self._records[0]
        for observer in self.observers:
            observer(record, outcome)

    def _finish(self, outcome: Met | Failed) -> Report:
        return Report.ending(outcome, **self._wait_fields({}))

    def _timed_out(self) -> Report:
        last = self._last
        said = f"; last answer: {last.reason}" if isinstance(last, NotYet) else ""
        detail = last.detail if last is not None else {}
        reason = f"deadline passed after {self._count} attempts{said}"
        return Report("timeout", reason=reason, **self._wait_fields(detail))

    def _wait_fields(self, detail: dict[str, object]) -> dict[str, Any]:
        """Return what every report of this wait carries besides its outcome."""
        detail = dict(detail)
        if self._prober.transitions:
            detail["breaker_transitions"] = list(self._prober.transitions)
        return {
            "attempts": self._count,
            "history": tuple(self._records),
            "started_at": self._started,
            "finished_at": self.clock(),
            "interval": next((a.interval for a in reversed(self._records) if a.interval is not None), None),
            "breaker": self.breaker.state if self.breaker is not None else "closed",
            "detail": detail,
        }
