"""FileWatchTrigger: wait in the triggerer for a file, woken by inotify, polling as the fallback."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import ClassVar

from triggers.checks import Check
from triggers.files.check import FileCheck
from triggers.files.directory import DIRECTORIES
from triggers.files.waiter import Waiter, end_wait
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

    def wait(self) -> Awaitable[Report]:
        """Return the wait's report to come: the poll loop's, or, for a shared directory, a future the
        directory sets (no coroutine of its own: at 10,000 waits its suspended frame was 320 bytes each)."""
        if not self.shares_directory():
            return super().wait()
        check = self.check
        assert isinstance(check, FileCheck)
        self.progress = publisher_for(self, None)
        loop = asyncio.get_running_loop()
        directory = DIRECTORIES.hold((check.pattern.root, check.watch))
        # the class's logger, not one per wait: a line reaches the task's log through the wait's
        # context (Airflow binds trigger_id there), whichever logger says it
        log = type(self).logger()
        waiter = Waiter(check, self.cadence, self.attempt_timeout, log, self.progress)
        try:
            directory.join(waiter, self.max_records)
        except BaseException:
            DIRECTORIES.let_go((check.pattern.root, check.watch))
            raise
        if self.deadline is not None:
            delay = max(0.0, self.deadline - waiter.started)
            waiter.timer = loop.call_later(delay, end_wait, directory, waiter, None, context=waiter.context)
        return waiter
