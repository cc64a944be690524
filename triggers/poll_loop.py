"""The one generic wait: check, record, decide the delay, wait (or wake early), repeat.

Time, sleep and randomness are injected so tests drive the loop with a fake clock and assert
exact sequences. The deadline is absolute (epoch seconds): a loop rebuilt after a triggerer
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


async def _sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


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
    sleep: Callable[[float], Awaitable[None]] = _sleep
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
                pause = self._prober.blocked_for()
                if pause is not None:
                    await self.sleep(pause if remaining is None else min(pause, remaining))
                    continue
                outcome, duration = await self._attempt(probe)
                if isinstance(outcome, (Met, Failed)):
                    self._record(outcome, duration, interval=None)
                    return self._finish(outcome)
                delay = self._next_delay(outcome, duration)
                remaining = self._remaining()
                await self._wait(delay if remaining is None else max(0.0, min(delay, remaining)), probe.wakeup)

    def _remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - self.clock()

    async def _attempt(self, probe: Probe) -> tuple[Outcome, float]:
        outcome, duration = await self._prober.attempt(probe)
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

    async def _wait(self, delay: float, wakeup: asyncio.Event | None) -> None:
        if wakeup is None or wakeup.is_set():
            if wakeup is None:
                await self.sleep(delay)
            return
        if self.sleep is _sleep:
            # The real clock: wait on the event in this task under a timer. Two helper tasks per
            # waiting trigger (below) are what thousands of waits cost in memory and GC time.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await wakeup.wait()
            return
        sleeper = asyncio.ensure_future(self.sleep(delay))  # an injected clock: race its sleep
        waker = asyncio.ensure_future(wakeup.wait())
        try:
            await asyncio.wait((sleeper, waker), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()

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
