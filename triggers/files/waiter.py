"""One wait on a file in a shared directory (:mod:`triggers.files.directory`): what it holds between
judgements, its report, and the directory's index of its waits by the names they watch."""

from __future__ import annotations

import asyncio
import contextvars
import math
import time
from collections.abc import Callable, Iterable, Iterator, KeysView, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from triggers.cadence import Cadence
from triggers.files.check import FileCheck
from triggers.files.pattern import FileStat
from triggers.history import Attempt
from triggers.outcomes import Failed, Met, NotYet, Outcome
from triggers.prober import AnswerKey, Log
from triggers.report import Report

if TYPE_CHECKING:
    from triggers.files.directory import SharedDirectory


class Waiter(asyncio.Future[Report]):
    """One wait on a file in a directory, as the future of its report: its check and what it needs
    between judgements. The trigger awaits it; cancelling it (the trigger's task is cancelled)
    makes the wait leave its directory, as every other end does in :func:`end_wait`.

    The wait and its future are one object with slots: 10,000 waits each hold theirs for days, and
    a separate future, a done callback (a list and a tuple on the future a task awaits) or a
    suspended coroutine would each cost every wait more.
    """

    __slots__ = (
        "attempt_timeout",
        "cadence",
        "check",
        "context",
        "directory",
        "first",
        "first_at",
        "last",
        "log",
        "observer",
        "recheck_at",
        "said",
        "started",
        "timer",
    )

    def __init__(
        self,
        check: FileCheck,
        cadence: Cadence,
        attempt_timeout: float | None,
        log: Log,
        observer: Callable[[Attempt, Outcome], None] | None = None,
    ) -> None:
        super().__init__()
        self.check, self.cadence, self.attempt_timeout, self.log, self.observer = (
            check, cadence, attempt_timeout, log, observer,
        )  # fmt: skip
        #: the directory it has joined (None before it joins and after it leaves)
        self.directory: SharedDirectory | None = None
        #: epoch seconds when the wait began, and its deadline's timer
        self.started = time.time()
        self.timer: asyncio.TimerHandle | None = None
        #: the directory's listing count at this wait's first look (0: not looked yet), and its time
        self.first, self.first_at = 0, math.inf
        #: epoch seconds when a pending file will have been stable for ``stable_for``
        self.recheck_at: float | None = None
        self.said: AnswerKey | None = None
        #: the last outcome without its detail, kept only for an observer (it is told each listing)
        self.last: Outcome | None = None
        #: the wait's own context: Airflow's triggerer routes a log line to the task log its context
        #: names (``trigger_id``), so what is said of this wait is said in it, not in the directory's
        self.context = contextvars.copy_context()

    def cancel(self, msg: Any | None = None) -> bool:
        cancelled = super().cancel(msg)
        self.leave()
        return cancelled

    def leave(self) -> None:
        """Leave the directory (nothing if it has), however the wait ended: met, failed, timed out, cancelled."""
        if self.timer is not None:
            self.timer.cancel()
        if self.directory is not None:
            self.directory.leave(self)


def end_wait(directory: SharedDirectory, waiter: Waiter, outcome: Met | Failed | None) -> None:
    """End ``waiter``'s wait (None: its deadline passed) with its report, unless it has ended, and leave."""
    if not waiter.done():
        waiter.set_result(report_of(directory, waiter, outcome))
    waiter.leave()


def report_of(directory: SharedDirectory, waiter: Waiter, outcome: Met | Failed | None) -> Report:
    """Return the report of ``waiter``'s wait: the directory's attempts since its first look, ending with its own."""
    attempts = directory.listings - waiter.first + 1 if waiter.first else 0
    history = list(directory.records[-attempts:]) if attempts else []
    interval = next((a.interval for a in reversed(history) if a.interval is not None), None)
    started, finished = waiter.started, time.time()
    if outcome is None:
        last = directory.failure
        if last is None and directory.listing is not None and waiter.first:
            last = directory.answer(waiter, directory.listing, finished)[0]
        said = f"; last answer: {last.reason}" if isinstance(last, NotYet) else ""
        return Report(
            "timeout",
            reason=f"deadline passed after {attempts} attempts{said}",
            attempts=attempts,
            history=tuple(history),
            started_at=started,
            finished_at=finished,
            interval=interval,
            detail=dict(last.detail) if last is not None else {},
        )
    if history:
        history[-1] = replace(history[-1], outcome=outcome.kind, error=outcome.error, interval=None)
    return Report.ending(
        outcome, attempts=attempts, history=tuple(history), started_at=started, finished_at=finished, interval=interval
    )


class SeenBy:
    """Since when each file's size and mtime hold, as one wait has seen it (FileCheck's steadiness)."""

    __slots__ = ("first_at", "seen")

    def __init__(self, seen: dict[str, tuple[int, float, float]], first_at: float) -> None:
        self.seen, self.first_at = seen, first_at

    def since(self, files: Iterable[FileStat], now: float) -> dict[str, float]:
        # a change the directory saw at or before this wait's first look is, to the wait, how it
        # found the file: the file's mtime is the only evidence (-inf), as a lone wait would have it
        found = {}
        for f in files:
            since = self.seen.get(f.path, (0, 0.0, -math.inf))[2]
            found[f.path] = since if since > self.first_at else -math.inf
        return found


class NameIndex:
    """The waits of a directory by the name (or glob) each watches.

    Most names have one wait: a name holds that waiter itself, and a list only while two or more
    share it (a one-element list per wait would be one more GC-tracked object and ~80 bytes).
    """

    __slots__ = ("_held",)

    def __init__(self) -> None:
        self._held: dict[str, Waiter | list[Waiter]] = {}

    def add(self, name: str, waiter: Waiter) -> bool:
        """Index ``waiter`` under ``name``; return True when no wait watched ``name`` before."""
        held = self._held.get(name)
        if held is None:
            self._held[name] = waiter
            return True
        if isinstance(held, list):
            held.append(waiter)
        else:
            self._held[name] = [held, waiter]
        return False

    def remove(self, name: str, waiter: Waiter) -> None:
        """Drop ``waiter`` from ``name`` (nothing if it is not there), and ``name`` when it was the last."""
        held = self._held.get(name)
        if held is waiter:
            del self._held[name]
        elif isinstance(held, list) and waiter in held:
            held.remove(waiter)
            if len(held) == 1:
                self._held[name] = held[0]

    def get(self, name: str) -> Sequence[Waiter]:
        """Return the waits watching ``name`` (empty when none)."""
        held = self._held.get(name)
        if held is None:
            return ()
        return held if isinstance(held, list) else (held,)

    def waiters(self) -> Iterator[Waiter]:
        """Yield each indexed wait once per name it is indexed under."""
        for held in self._held.values():
            yield from held if isinstance(held, list) else (held,)

    def names(self) -> KeysView[str]:
        """Return the names some wait watches."""
        return self._held.keys()
