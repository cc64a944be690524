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
from triggers.cadence import Cadence
from triggers.checks import Check, Probe
from triggers.history import Attempt
from triggers.outcomes import Failed, Met, NotYet, Outcome
from triggers.prober import Log, Prober
from triggers.report import Report
from triggers.wait_state import WaitState

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
        limit = max(self.max_records, 1)
        self.state = WaitState(limit, self.breaker, records=list(self.history[-limit:]))
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
            transitions=self.state.transitions,
        )
        async with self.check.opened() as probe:
            probe.fresh_for, probe.clock = self.cadence.shortest_delay(), self.monotonic
            while True:
                remaining = self._remaining()
                if remaining is not None and remaining <= 0:
                    return self._timed_out()
                blocked = self._prober.blocked_for()
                if blocked is not None:
                    await self.pause(blocked if remaining is None else min(blocked, remaining), None)
                    continue
                outcome, duration = await self._look(probe)
                outcome = self.check.escalate(outcome, self.state.repeats_with(outcome))
                self.state.record(outcome, duration, self.clock())
                if isinstance(outcome, (Met, Failed)):
                    self._observe(outcome)
                    return self._finish(outcome)
                delay = self.state.pace(outcome, self.cadence, self.rng)
                self._observe(outcome)
                self.log.debug("%s: attempt %d not yet; next in %.2fs", self._prober.what, self.state.attempts, delay)
                ended = await self._rest(delay, probe)
                if ended is not None:  # another wait's asking brought the answer that ends this one
                    self._last = self._prober.took(ended)
                    self.state.attempts = self._prober.count
                    self.state.record(ended, 0.0, self.clock())
                    self._observe(ended)
                    return self._finish(ended)

    async def _rest(self, delay: float, probe: Probe) -> Met | Failed | None:
        """Pause ``delay`` seconds (cut at the deadline); return an answer peeked meanwhile that ends the wait.

        Woken by its own source (a NOTIFY, an inotify event) or at the end of the pause, it returns
        None: look now. Woken by an answer another wait's asking brought (a shared probe's
        ``peek``), it judges that answer and rests on unless the answer ends the wait: the wait
        keeps its own pace and phase, so many waits sharing a source still ask it in turn.
        """
        due = self.clock() + delay
        while True:
            remaining = due - self.clock()
            left = self._remaining()
            await self.pause(max(0.0, remaining if left is None else min(remaining, left)), probe.wakeup)
            if probe.peek is None or probe.wakeup is None or not probe.wakeup.is_set():
                return None
            probe.wakeup.clear()  # before the peek: an answer arriving during it wakes the next pause
            seen = await probe.peek()
            if isinstance(seen, (Met, Failed)):
                return seen
            left = self._remaining()
            if due - self.clock() <= 0 or (left is not None and left <= 0):
                return None

    def _remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - self.clock()

    async def _look(self, probe: Probe) -> tuple[Outcome, float]:
        outcome, duration = await self._prober.measured(probe)
        self.state.attempts = self._prober.count
        remaining = self._remaining()
        cut_at_deadline = outcome.error == "TimeoutError" and remaining is not None and remaining <= 0
        if self._last is None or not cut_at_deadline:
            # An attempt the deadline cut short (a debounce or a slow source) says nothing new about
            # the source: the timeout report keeps the last real answer.
            self._last = outcome
        return outcome, duration

    def _observe(self, outcome: Outcome) -> None:
        for observer in self.observers:
            observer(self.state.records[-1], outcome)

    def _finish(self, outcome: Met | Failed) -> Report:
        return Report.ending(outcome, **self._wait_fields({}))

    def _timed_out(self) -> Report:
        last = self._last
        said = f"; last answer: {last.reason}" if isinstance(last, NotYet) else ""
        detail = last.detail if last is not None else {}
        reason = f"deadline passed after {self.state.attempts} attempts{said}"
        return Report("timeout", reason=reason, **self._wait_fields(detail))

    def _wait_fields(self, detail: dict[str, object]) -> dict[str, Any]:
        """Return what every report of this wait carries besides its outcome."""
        detail = dict(detail)
        if self._prober.transitions:
            detail["breaker_transitions"] = list(self._prober.transitions)
        return {
            "attempts": self.state.attempts,
            "history": tuple(self.state.records),
            "started_at": self._started,
            "finished_at": self.clock(),
            "interval": self.state.interval,
            "breaker": self.breaker.state if self.breaker is not None else "closed",
            "detail": detail,
        }
