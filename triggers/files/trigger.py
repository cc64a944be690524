"""FileWatchTrigger: wait in the triggerer for a file, woken by inotify, polling as the fallback."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import ClassVar

from triggers.checks import Check
from triggers.files.check import FileCheck
from triggers.files.directory import DIRECTORIES, SharedDirectory
from triggers.files.waiter import Waiter
from triggers.outcomes import Failed, Met, NotYet
from triggers.poll_trigger import PollTrigger
from triggers.progress import publisher_for
from triggers.report import Report


class FileWatchTrigger(PollTrigger):
    """Poll a :class:`FileCheck` at ``cadence`` and wake at once when its directory changes.

    Takes PollTrigger's keyword arguments; ``check`` must be a FileCheck (``kind: "file"``).
    While it waits, the check's probe holds a watch on the pattern's directory through the one
    inotify instance of the triggerer's event loop (or of its nearest existing parent until the
    directory exists), so an arriving file, its marker or a settled write cuts the wait short.
    Where no event comes (network filesystems, inotify unavailable, watch limit reached) the
    cadence alone finds the file. Yields one event whose payload is a Report; the met value is
    the FileCheck's (matched paths, sizes, mtimes).

    A wait for a file directly in its directory (no wildcard above the file name) shares that
    directory's listing with every such wait of the event loop (:mod:`triggers.files.directory`),
    unless the check says ``share_probe=False``, a circuit breaker is set, or the wait brings a
    history to learn from: those run the wait's own poll loop.
    """

    accepts: ClassVar[tuple[type[Check], ...]] = (FileCheck,)

    def shares_directory(self) -> bool:
        """Return True when this wait is judged from its directory's shared listing."""
        check = self.check
        assert isinstance(check, FileCheck)
        alone = not check.share_probe or self.failure_threshold is not None or bool(self.history)
        return not alone and len(check.pattern.parts) == 1

    async def wait(self) -> Report:
        if not self.shares_directory():
            return await super().wait()
        check = self.check
        assert isinstance(check, FileCheck)
        self.progress = publisher_for(self, None)
        started = time.time()
        loop = asyncio.get_running_loop()
        # acquire and release, not a lease: no lease object and bound __aexit__ held by each wait
        key = (check.pattern.root, check.watch)
        directory = await DIRECTORIES.acquire(key)
        try:
            # the class's logger, not one per wait: a line reaches the task's log through the
            # wait's context (Airflow binds trigger_id there), whichever logger says it
            log = type(self).logger()
            waiter = Waiter(check, self.cadence, self.attempt_timeout, loop.create_future(), log, self.progress)
            timer = None
            if self.deadline is not None:
                timer = loop.call_later(max(0.0, self.deadline - started), _expire, waiter.done)
            directory.join(waiter, self.max_records)
            try:
                outcome = await waiter.done
            finally:
                directory.leave(waiter)
                if timer is not None:
                    timer.cancel()
            return _report(directory, waiter, outcome, started)
        finally:
            await DIRECTORIES.release(key)


def _expire(done: asyncio.Future[Met | Failed | None]) -> None:
    if not done.done():
        done.set_result(None)


def _report(directory: SharedDirectory, waiter: Waiter, outcome: Met | Failed | None, started: float) -> Report:
    """Return the report of ``waiter``'s wait: the directory's attempts since its first look, ending with its own."""
    attempts = directory.listings - waiter.first + 1 if waiter.first else 0
    history = list(directory.records[-attempts:]) if attempts else []
    interval = next((a.interval for a in reversed(history) if a.interval is not None), None)
    finished = time.time()
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
