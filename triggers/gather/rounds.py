"""One gather wait, round by round: concurrent attempts, per-condition deadlines, the verdict.

A round starts an attempt of every open condition that has none running, takes the answers as
they come (one ``asyncio.wait``) and decides as soon as it can. After ``round_wait`` it says "not
yet" and carries what still runs into the next round, so a slow condition never holds up the
others. Each condition is opened lazily in a task of its own (:meth:`Gathering._hold`): a slow or
failed ``opened()`` delays only its condition, and the task that entered the context leaves it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from triggers.checks import Probe, outcome_for, outcome_of
from triggers.gather.status import ConditionStatus, Ledger
from triggers.history import run_of
from triggers.outcomes import Failed, Met, NotYet, Outcome
from triggers.prober import Log, Opener
from triggers.shared import cancel_and_wait

if TYPE_CHECKING:
    from triggers.gather.composition import Gather

LOG = logging.getLogger("triggers.gather")
#: A condition's probe once opened, or what its failed opening says.
Opened = asyncio.Future[Probe | Outcome]


class Gathering:
    """The running state of one opened gather; ``round()`` is its probe's check."""

    def __init__(self, gather: Gather, openers: Mapping[str, Opener], ledger: Ledger, *, log: Log, prefix: str) -> None:
        self.gather, self.openers, self.ledger, self.log, self.prefix = gather, openers, ledger, log, prefix
        self.wakeup = asyncio.Event()
        started = ledger.started = ledger.started or gather.started_at or time.time()
        self.statuses = [
            ledger.statuses.setdefault(n, ConditionStatus(n, c.describe())) for n, c in gather.conditions.items()
        ]
        for status in self.statuses:
            timeout = gather.timeouts.get(status.name)
            status.deadline = None if timeout is None else round(started + timeout, 3)
        self._running: dict[str, asyncio.Task[tuple[Outcome, float]]] = {}
        self._holders: dict[str, tuple[asyncio.Task[None], Opened]] = {}
        self._closed = asyncio.get_running_loop().create_future()
        self._timer: asyncio.TimerHandle | None = None

    async def close(self) -> None:
        """Cancel the attempts still running and the deadline timer, then leave every opened condition
        (cancelling an opening under way) and wait until each is left."""
        if self._timer is not None:
            self._timer.cancel()
        await cancel_and_wait(*self._running.values())
        self._closed.set_result(None)
        for holder, opened in self._holders.values():
            if not opened.done():
                holder.cancel()
            elif isinstance(probe := opened.result(), Probe) and probe.wakeup is not None:
                probe.wakeup.set()  # ends the forwarding in _hold
        if self._holders:  # cancelled or not; our own cancellation propagates
            await asyncio.wait([holder for holder, _ in self._holders.values()])

    async def round(self) -> Outcome:
        """Run one round; return Met, Failed or NotYet with every condition's status as detail."""
        self._collect()
        ends = None if self.gather.round_wait is None else time.monotonic() + self.gather.round_wait
        if not self._decided():
            for status in self.statuses:
                if status.name not in self._running and self._asked(status):
                    self._start(status)
        while self._running and not self._decided():
            limits = [] if ends is None else [ends - time.monotonic()]
            if limits and limits[0] <= 0:
                break  # the round is over: what still runs is carried into the next one
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
        """Start an attempt of the condition, opening it first if it is not (or failed to be)."""
        name, status.checking_since = status.name, round(time.time(), 3)
        if name not in self._holders or self._holders[name][0].done():  # a holder ends early only if opening failed
            opened: Opened = asyncio.get_running_loop().create_future()
            self._holders[name] = (asyncio.ensure_future(self._hold(status, opened)), opened)
        self._running[name] = asyncio.ensure_future(_attempt(self._holders[name][1], self.gather.attempt_timeout))

    async def _hold(self, status: ConditionStatus, opened: Opened) -> None:
        """Hold the condition open until :meth:`close`, its probe published in ``opened``; wake the
        gather when the condition signals a change while it is asked."""
        try:
            async with self.openers[status.name]() as probe:
                opened.set_result(probe)
                while probe.wakeup is not None and not self._closed.done():
                    await probe.wakeup.wait()
                    probe.wakeup.clear()
                    if self._asked(status) and not self._closed.done():
                        self.wakeup.set()
                await self._closed  # a normal exit: cancelling thousands of holders costs far more
        except asyncio.CancelledError:
            opened.cancel()
            raise
        except Exception as error:
            if not opened.done():
                opened.set_result(outcome_for(error))  # what each attempt on it says; the next one opens again
            else:
                LOG.warning("closing a condition failed: %s: %s", type(error).__name__, error)

    def _collect(self) -> None:
        """Record every finished attempt, then time out what passed its deadline."""
        for name, task in list(self._running.items()):
            if task.done():
                del self._running[name]
                outcome, duration = task.result()
                status = self.ledger.statuses[name]
                repeats = run_of(outcome.error, status.error, status.repeats)
                outcome = self.gather.conditions[name].escalate(outcome, repeats)
                status.settle(outcome, duration, self.log, f"{self.prefix}{name}")
        now = time.time()
        for status in self.statuses:
            if status.state == "pending" and status.deadline is not None and now >= status.deadline:
                if (running := self._running.pop(status.name, None)) is not None:
                    running.cancel()
                status.time_out(self.gather.timeouts[status.name], self.log, f"{self.prefix}{status.name}")

    def _next_deadline(self) -> float | None:
        return min((s.deadline for s in self.statuses if s.state == "pending" and s.deadline is not None), default=None)

    def _decided(self) -> bool:
        """True when enough conditions are ready, or too few can still be."""
        ready = sum(s.state == "ready" for s in self.statuses)
        return ready >= self.gather.need or sum(s.open for s in self.statuses) < self.gather.need

    def _verdict(self) -> Outcome:
        gather, need, statuses = self.gather, self.gather.need, self.statuses
        detail: dict[str, Any] = {"mode": gather.mode, "need": need, "latch": gather.latch}
        # statuses shared, not deep-copied (``asdict`` dominated a round's cost): the report is serialised at once
        detail.update(started_at=self.ledger.started, conditions={s.name: dict(vars(s)) for s in statuses})
        ready = [s for s in statuses if s.state == "ready"]
        if len(ready) >= need:
            return Met({s.name: s.value for s in ready}, detail=detail)
        if (still := sum(s.open for s in statuses)) < need:
            closed = "; ".join(
                f"condition {self.prefix}{s.name!r} {'timed out' if s.timed_out else 'failed'}: {s.reason}"
                for s in statuses
                if not s.open
            )
            if need < len(statuses):
                closed = f"only {still} of {len(statuses)} conditions can still be ready, need {need}: {closed}"
            return Failed(closed, detail=detail)
        waiting = [s for s in statuses if s.state == "pending"]
        reason = f"{len(ready)} of {len(statuses)} ready, need {need}; waiting for {', '.join(s.name for s in waiting)}"
        answered = [s for s in waiting if s.attempts]
        # Back off the whole gather only when every condition it waits on is erroring.
        erroring = answered and len(answered) == len(waiting) and all(s.error for s in answered)
        return NotYet(reason, error=answered[0].error if erroring else None, detail=detail)


async def _attempt(opened: Opened, timeout: float | None) -> tuple[Outcome, float]:
    """Check once through the condition's probe within ``timeout``; return the outcome and its duration."""
    begun = time.monotonic()
    return await outcome_of(Probe(check=functools.partial(_check, opened)), timeout), time.monotonic() - begun


async def _check(opened: Opened) -> Outcome:
    """Check once, after the opening; return what a failed opening said."""
    # shielded: an attempt timed out while the condition opens must not cancel the opening
    probe = opened.result() if opened.done() else await asyncio.shield(opened)
    if isinstance(probe, Outcome):
        return probe
    if probe.wakeup is not None:
        probe.wakeup.clear()  # a change signalled from now on must cause another check
    return await probe.check()
