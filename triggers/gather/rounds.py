"""One gather wait, round by round: concurrent attempts, per-condition deadlines, the verdict.

Each round starts an attempt for every condition that is still open and has none running, then
collects answers as they come, deciding as soon as it can: met when enough conditions are
ready, failed when too few can still be (a condition failed or passed its deadline). A round
waits at most ``round_wait`` seconds; an attempt still running then is not restarted but
carried into the next round, so one slow condition never holds up the others' checks.

Between rounds the poll loop sleeps; the probe's ``wakeup`` cuts that sleep short when a
condition's deadline passes (so an all-mode wait fails at once) or a condition's own source
signals a change.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from triggers.checks import Probe, outcome_of
from triggers.gather.opening import Opening
from triggers.gather.status import ConditionStatus, Ledger, log_change
from triggers.history import run_of
from triggers.outcomes import Failed, Met, NotYet, Outcome
from triggers.prober import Log, Opener
from triggers.shared import cancel_and_wait

if TYPE_CHECKING:
    from triggers.gather.composition import Gather

Answer = tuple[Outcome, float]


class Gathering:
    """The running state of one opened gather; ``round()`` is its probe's check."""

    def __init__(
        self,
        gather: Gather,
        openers: Mapping[str, Opener],
        ledger: Ledger,
        *,
        log: Log,
        prefix: str = "",
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.gather = gather
        self.openers = openers
        self.ledger = ledger
        self.log = log
        self.prefix = prefix
        self.clock = clock
        self.monotonic = monotonic
        self.wakeup = asyncio.Event()
        if ledger.started is None:
            ledger.started = gather.started_at if gather.started_at is not None else clock()
        for name, check in gather.conditions.items():
            status = ledger.statuses.setdefault(name, ConditionStatus(name=name, what=check.describe()))
            timeout = gather.timeouts.get(name)
            status.deadline = None if timeout is None else round(ledger.started + timeout, 3)
        self._running: dict[str, asyncio.Task[Answer]] = {}
        self._openings: dict[str, Opening] = {}
        self._timer: asyncio.TimerHandle | None = None

    @property
    def statuses(self) -> list[ConditionStatus]:
        return [self.ledger.statuses[name] for name in self.gather.conditions]

    async def close(self) -> None:
        """Cancel attempts still running and the deadline timer; close every opened condition."""
        if self._timer is not None:
            self._timer.cancel()
        running = list(self._running.values())
        self._running.clear()
        await cancel_and_wait(*running)
        for opening in self._openings.values():
            await opening.close()

    async def round(self) -> Outcome:
        """Run one round; return Met, Failed or NotYet with the per-condition status as detail."""
        self._collect()
        if not self._decided():
            for name in self._due():
                self._start(name)
            await self._await_answers()
        self._arm_deadline_timer()
        return self._verdict()

    async def _await_answers(self) -> None:
        """Collect answers until the verdict is decided, nothing runs, or the round is over."""
        ends = None if self.gather.round_wait is None else self.monotonic() + self.gather.round_wait
        while self._running and not self._decided():
            limits = [ends - self.monotonic()] if ends is not None else []
            deadline = self._next_deadline()
            if deadline is not None:
                limits.append(deadline - self.clock())
            limit = min(limits) if limits else None
            if ends is not None and ends - self.monotonic() <= 0:
                break  # the rest are carried into the next round
            if limit is None or limit > 0:
                await asyncio.wait(set(self._running.values()), timeout=limit, return_when=asyncio.FIRST_COMPLETED)
            self._collect()

    def _due(self) -> list[str]:
        """Names of open conditions to ask now: pending ones, and ready ones when not latched."""
        return [
            s.name
            for s in self.statuses
            if s.name not in self._running and (s.state == "pending" or (s.state == "ready" and not self.gather.latch))
        ]

    def _start(self, name: str) -> None:
        opening = self._openings.get(name)
        if opening is None or opening.broken:
            opening = self._openings[name] = Opening(self.openers[name], lambda: self._woken(name))
        self.ledger.statuses[name].checking_since = round(self.clock(), 3)
        self._running[name] = asyncio.ensure_future(self._answer(opening))

    async def _answer(self, opening: Opening) -> Answer:
        begun = self.monotonic()
        outcome = await outcome_of(Probe(check=opening.check), self.gather.attempt_timeout)
        return outcome, self.monotonic() - begun

    def _woken(self, name: str) -> None:
        """A condition's source signalled a change: wake the wait unless it has nothing to ask."""
        if self.ledger.statuses[name].state == "pending" or not self.gather.latch:
            self.wakeup.set()

    def _collect(self) -> None:
        """Record every finished attempt, then time out what passed its deadline."""
        for name, task in list(self._running.items()):
            if not task.done():
                continue
            del self._running[name]
            outcome, duration = task.result()
            status = self.ledger.statuses[name]
            outcome = self.gather.conditions[name].escalate(
                outcome, run_of(outcome.error, status.error, status.repeats)
            )
            before = status.key()
            status.settle(outcome, at=round(self.clock(), 3), duration=duration)
            log_change(self.log, status, before, label=f"{self.prefix}{name}")
        now = self.clock()
        for status in self.statuses:
            if status.state == "pending" and status.deadline is not None and now >= status.deadline:
                running = self._running.pop(status.name, None)
                if running is not None:
                    running.cancel()
                before = status.key()
                status.time_out(self.gather.timeouts[status.name])
                log_change(self.log, status, before, label=f"{self.prefix}{status.name}")

    def _next_deadline(self) -> float | None:
        deadlines = [s.deadline for s in self.statuses if s.state == "pending" and s.deadline is not None]
        return min(deadlines) if deadlines else None

    def _decided(self) -> bool:
        """True when enough conditions are ready, or too few can still be (cheaper than ``_verdict``)."""
        ready = still = 0
        for status in self.statuses:
            ready += status.state == "ready"
            still += status.open
        return ready >= self.gather.need or still < self.gather.need

    def _verdict(self) -> Outcome:
        statuses = self.statuses
        need = self.gather.need
        ready = [s for s in statuses if s.state == "ready"]
        detail = self.detail()
        if len(ready) >= need:
            return Met({s.name: s.value for s in ready}, detail=detail)
        still = [s for s in statuses if s.open]
        if len(still) < need:
            return Failed(self._why_failed(statuses, len(still)), detail=detail)
        waiting = [s for s in statuses if s.state == "pending"]
        reason = f"{len(ready)} of {len(statuses)} ready, need {need}; waiting for {', '.join(s.name for s in waiting)}"
        answered = [s for s in waiting if s.attempts]
        # Back off the whole gather only when every condition it waits on is erroring.
        error = (
            answered[0].error if answered and len(answered) == len(waiting) and all(s.error for s in answered) else None
        )
        return NotYet(reason, error=error, detail=detail)

    def _why_failed(self, statuses: list[ConditionStatus], still: int) -> str:
        closed = "; ".join(
            f"condition {self.prefix}{s.name!r} {'timed out' if s.timed_out else 'failed'}: {s.reason}"
            for s in statuses
            if not s.open
        )
        if self.gather.need == len(statuses):
            return closed
        return f"only {still} of {len(statuses)} conditions can still be ready, need {self.gather.need}: {closed}"

    def detail(self) -> dict[str, Any]:
        """Return the per-condition status as the report shows it."""
        return {
            "mode": self.gather.mode,
            "need": self.gather.need,
            "latch": self.gather.latch,
            "started_at": self.ledger.started,
            "conditions": {s.name: s.to_dict() for s in self.statuses},
        }

    def _arm_deadline_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        deadline = self._next_deadline()
        if deadline is not None:
            delay = max(0.0, deadline - self.clock())
            self._timer = asyncio.get_running_loop().call_later(delay, self.wakeup.set)
