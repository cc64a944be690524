"""One gather wait, round by round: concurrent attempts, per-condition deadlines, the verdict.

A round starts an attempt for every open condition that has none running, then takes answers
as they come and decides as soon as it can: met when enough conditions are ready, failed when
too few can still be (one failed or passed its deadline). It waits at most ``round_wait``: an
attempt still running then is carried into the next round, so a slow condition never holds up
the others. The probe's ``wakeup`` cuts the poll loop's sleep short when a condition's deadline
passes or its own source signals a change.

Each condition is opened lazily, in its first attempt, by a task of its own (:class:`Opening`):
a slow ``opened()`` (resolving a connection, a LISTEN session) delays only that condition, one
that failed is opened again by the next attempt, and the task that entered the context leaves it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from triggers.checks import Probe, outcome_of
from triggers.gather.status import ConditionStatus, Ledger
from triggers.history import run_of
from triggers.outcomes import Failed, Met, NotYet, Outcome
from triggers.prober import Log, Opener
from triggers.shared import cancel_and_wait

if TYPE_CHECKING:
    from triggers.gather.composition import Gather

LOG = logging.getLogger("triggers.gather")
Answer = tuple[Outcome, float]


class Opening:
    """Holds ``opener()`` open in its own task until :meth:`close`; calls ``on_wakeup`` on a change."""

    def __init__(self, opener: Opener, on_wakeup: Callable[[], None]) -> None:
        loop = asyncio.get_running_loop()
        self.probe: asyncio.Future[Probe] = loop.create_future()
        self._closed: asyncio.Future[None] = loop.create_future()
        self._task = asyncio.ensure_future(self._hold(opener, on_wakeup))

    @property
    def broken(self) -> bool:  # opening failed: the next attempt must open again
        return self.probe.done() and (self.probe.cancelled() or self.probe.exception() is not None)

    async def check(self) -> Outcome:
        """Check once, after the opening; raises what opening raised."""
        probe = await asyncio.shield(self.probe)  # a timed-out attempt must not cancel the opening
        if probe.wakeup is not None:
            probe.wakeup.clear()  # a change signalled from now on must cause another check
        return await probe.check()

    async def close(self) -> None:
        """Leave the context (cancelling an opening under way) and wait until it is left."""
        if not self._closed.done():
            self._closed.set_result(None)
        if not self.probe.done():
            self._task.cancel()
        elif not self.broken and (wakeup := self.probe.result().wakeup) is not None:
            wakeup.set()  # ends the forwarding in _hold
        await asyncio.wait((self._task,))  # cancelled or not; our own cancellation propagates

    async def _hold(self, opener: Opener, on_wakeup: Callable[[], None]) -> None:
        try:
            async with opener() as probe:
                self.probe.set_result(probe)
                while probe.wakeup is not None and not self._closed.done():
                    await probe.wakeup.wait()
                    probe.wakeup.clear()
                    if not self._closed.done():
                        on_wakeup()
                await self._closed  # a normal exit: cancelling thousands of holders costs far more
        except asyncio.CancelledError:
            if not self.probe.done():
                self.probe.cancel()
            raise
        except Exception as error:
            if not self.probe.done():
                self.probe.set_exception(error)
            else:
                LOG.warning("closing a condition failed: %s: %s", type(error).__name__, error)


class Gathering:
    """The running state of one opened gather; ``round()`` is its probe's check."""

    def __init__(self, gather: Gather, openers: Mapping[str, Opener], ledger: Ledger, *, log: Log, prefix: str) -> None:
        self.gather, self.openers, self.ledger, self.log, self.prefix = gather, openers, ledger, log, prefix
        self.wakeup = asyncio.Event()
        if ledger.started is None:
            ledger.started = gather.started_at if gather.started_at is not None else time.time()
        for name, check in gather.conditions.items():
            status = ledger.statuses.setdefault(name, ConditionStatus(name=name, what=check.describe()))
            timeout = gather.timeouts.get(name)
            status.deadline = None if timeout is None else round(ledger.started + timeout, 3)
        self.statuses = [ledger.statuses[name] for name in gather.conditions]
        self._running: dict[str, asyncio.Task[Answer]] = {}
        self._openings: dict[str, Opening] = {}
        self._timer: asyncio.TimerHandle | None = None

    async def close(self) -> None:
        """Cancel the attempts still running and the deadline timer; close every opened condition."""
        if self._timer is not None:
            self._timer.cancel()
        running, self._running = list(self._running.values()), {}
        await cancel_and_wait(*running)
        for opening in self._openings.values():
            await opening.close()

    async def round(self) -> Outcome:
        """Run one round; return Met, Failed or NotYet with every condition's status as detail."""
        self._collect()
        ends = None if self.gather.round_wait is None else time.monotonic() + self.gather.round_wait
        if not self._decided():
            for status in self.statuses:
                if status.name not in self._running and self._asked(status):
                    self._start(status)
        while self._running and not self._decided():
            if ends is not None and ends <= time.monotonic():
                break  # the round is over: what still runs is carried into the next one
            limits = [] if ends is None else [ends - time.monotonic()]
            if (deadline := self._next_deadline()) is not None:
                limits.append(deadline - time.time())
            limit = min(limits, default=None)
            if limit is None or limit > 0:  # else a deadline passed: _collect times it out
                await asyncio.wait(self._running.values(), timeout=limit, return_when=asyncio.FIRST_COMPLETED)
            self._collect()
        if self._timer is not None:
            self._timer.cancel()
        if (deadline := self._next_deadline()) is not None:
            self._timer = asyncio.get_running_loop().call_later(max(0.0, deadline - time.time()), self.wakeup.set)
        return self._verdict()

    def _asked(self, status: ConditionStatus) -> bool:
        """True when the condition is asked in a round: while pending, and while ready unless latched."""
        return status.state == "pending" or (status.state == "ready" and not self.gather.latch)

    def _start(self, status: ConditionStatus) -> None:
        name = status.name
        opening = self._openings.get(name)
        if opening is None or opening.broken:
            opening = self._openings[name] = Opening(self.openers[name], lambda: self._woken(status))
        status.checking_since = round(time.time(), 3)
        self._running[name] = asyncio.ensure_future(self._answer(opening))

    async def _answer(self, opening: Opening) -> Answer:
        begun = time.monotonic()
        outcome = await outcome_of(Probe(check=opening.check), self.gather.attempt_timeout)
        return outcome, time.monotonic() - begun

    def _woken(self, status: ConditionStatus) -> None:
        if self._asked(status):
            self.wakeup.set()

    def _collect(self) -> None:
        """Record every finished attempt, then time out what passed its deadline."""
        for name, task in list(self._running.items()):
            if task.done():
                del self._running[name]
                outcome, duration = task.result()
                status = self.ledger.statuses[name]
                outcome = self.gather.conditions[name].escalate(
                    outcome, run_of(outcome.error, status.error, status.repeats)
                )
                before = status.key()
                status.settle(outcome, at=round(time.time(), 3), duration=duration)
                status.log_change(self.log, before, f"{self.prefix}{name}")
        now = time.time()
        for status in self.statuses:
            if status.state == "pending" and status.deadline is not None and now >= status.deadline:
                if (running := self._running.pop(status.name, None)) is not None:
                    running.cancel()
                before = status.key()
                status.time_out(self.gather.timeouts[status.name])
                status.log_change(self.log, before, f"{self.prefix}{status.name}")

    def _next_deadline(self) -> float | None:
        return min((s.deadline for s in self.statuses if s.state == "pending" and s.deadline is not None), default=None)

    def _decided(self) -> bool:
        """True when enough conditions are ready, or too few can still be."""
        ready = sum(s.state == "ready" for s in self.statuses)
        return ready >= self.gather.need or sum(s.open for s in self.statuses) < self.gather.need

    def _verdict(self) -> Outcome:
        gather, need = self.gather, self.gather.need
        detail: dict[str, Any] = {"mode": gather.mode, "need": need, "latch": gather.latch}
        detail.update(started_at=self.ledger.started, conditions={s.name: s.to_dict() for s in self.statuses})
        ready = [s for s in self.statuses if s.state == "ready"]
        if len(ready) >= need:
            return Met({s.name: s.value for s in ready}, detail=detail)
        still = sum(s.open for s in self.statuses)
        if still < need:
            closed = "; ".join(
                f"condition {self.prefix}{s.name!r} {'timed out' if s.timed_out else 'failed'}: {s.reason}"
                for s in self.statuses
                if not s.open
            )
            if need < len(self.statuses):
                closed = f"only {still} of {len(self.statuses)} conditions can still be ready, need {need}: {closed}"
            return Failed(closed, detail=detail)
        waiting = [s for s in self.statuses if s.state == "pending"]
        names = ", ".join(s.name for s in waiting)
        reason = f"{len(ready)} of {len(self.statuses)} ready, need {need}; waiting for {names}"
        answered = [s for s in waiting if s.attempts]
        # Back off the whole gather only when every condition it waits on is erroring.
        erroring = answered and len(answered) == len(waiting) and all(s.error for s in answered)
        return NotYet(reason, error=answered[0].error if erroring else None, detail=detail)
