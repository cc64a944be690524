"""FileEventTrigger: one event per file that matches and is complete, woken by the shared inotify watcher.

"Complete" is :class:`~triggers.files.check.FileCheck`'s rules (``max_age``, ``min_size``,
``stable_for``, ``marker_suffix``), applied by that check's own :meth:`~FileCheck.sort`. A file
is one change per (path, size, mtime): rewriting it (new size or mtime) is a new change and a new
event; a file present before the first look (or written while no triggerer ran) is emitted once.
Watchers of the same pattern, marker and stability rule share one producer (one scan per wakeup).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

from airflow.triggers.base import BaseEventTrigger

from triggers.checks import Check
from triggers.events.base import DEFAULT_REMEMBER_AFTER, Change, EventWatcher
from triggers.files.check import FileCheck, Steadiness


class FileEventTrigger(EventWatcher, BaseEventTrigger):
    """Yield ``{"key", "path", "size", "mtime", "pattern"}`` once per complete matching file.

    :param check: a :class:`FileCheck` (or its ``to_dict()``).
    :param interval: seconds between scans when no inotify event comes (a safety net; inotify wakes it).
    :param remember_after: seconds after an event before its key is written to the memory.
    """

    check_class = FileCheck
    check: FileCheck

    def __init__(
        self,
        *,
        check: Mapping[str, Any] | Check,
        interval: float = 30.0,
        remember_after: float = DEFAULT_REMEMBER_AFTER,
    ) -> None:
        super().__init__({"check": check, "interval": interval, "remember_after": remember_after})

    def build(self) -> None:
        self.steadiness = Steadiness()
        # The producer scans for every watcher of this source: only what decides the scan and its
        # stability wake-up; each watcher applies its own max_age and min_size to the scan.
        c = self.check
        self.scanner = FileCheck(c.path, stable_for=c.stable_for, marker_suffix=c.marker_suffix, watch=c.watch)

    def source(self) -> dict[str, Any]:
        return {**self.scanner.to_dict(), "interval": self.interval}

    async def observations(self) -> AsyncIterator[Any]:
        watching = self.scanner.opened()
        async with watching as probe:

            async def look() -> tuple[float, Any]:
                sorting = await watching.sorted_look()
                return time.time(), sorting.found

            async for observation in self.looking(look, probe.wakeup):
                yield observation

    def changes(self, observation: Any) -> list[Change]:
        at, found = observation
        sorting = self.check.sort(found, at, self.steadiness)
        changes = []
        for f in sorting.ready:
            key = f"{f.path}|{f.size}|{f.mtime!r}"
            payload = {"key": key, "pattern": self.check.path, **f.to_dict()}
            changes.append(Change(key, payload))
        return changes
