"""A probe's subscription to the shared watcher: which names below which root wake it.

The subscription follows its root: while the root does not exist it watches the nearest
existing parent for the next path component, and moves down when that appears (an event, or a
look that finds the root). It moves again when its directory is deleted, moved or unmounted.
Where nothing can be watched (inotify unavailable, permission denied, the watch limit reached)
it never wakes and the probe polls; the cause is logged once per process.
"""

from __future__ import annotations

import asyncio
import logging
import os

from triggers.files.watcher import WATCHER_KEY, WATCHERS, Directory, Watcher
from triggers.shared import Lease

log = logging.getLogger(__name__)

_warned: set[int] = set()


class Subscription:
    """One probe's interest in file names below ``root``; sets ``wakeup`` when one changes."""

    __slots__ = ("chased", "enabled", "entry", "lease", "names", "root", "stale", "wakeup", "watcher")

    def __init__(
        self,
        watcher: Watcher | None,
        root: str,
        names: tuple[str, ...],
        wakeup: asyncio.Event,
        *,
        enabled: bool = False,
    ) -> None:
        self.watcher = watcher
        self.enabled = enabled  # entering leases the loop's watcher
        self.lease: Lease[str, Watcher] | None = None
        self.root = root
        self.names = names
        self.wakeup = wakeup
        self.entry: Directory | None = None
        self.stale = watcher is not None
        self.chased = False  # re-armed once because a look saw the root: do not loop on it

    # A class-based context manager, not nested generator-based ones: thousands of waiting probes
    # each hold one for the whole wait, and every suspended generator is more objects for the GC.
    async def __aenter__(self) -> Subscription:
        if self.enabled:
            lease = WATCHERS.lease(WATCHER_KEY)
            try:
                self.watcher = await lease.__aenter__()
                self.lease = lease
            except OSError as error:
                _warn_once(error, f"inotify unavailable ({error.strerror}): file sensors poll only")
            self.stale = self.watcher is not None
        try:
            await self.refresh()
        except BaseException:
            await self.__aexit__()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()
        if self.lease is not None:
            lease, self.lease = self.lease, None
            await lease.__aexit__()

    def wake(self, *, moved: bool = False) -> None:
        """Cut the probe's wait short; ``moved``: the watch must move before the next look."""
        if moved:
            self.stale = True
        self.wakeup.set()

    def saw(self, root_exists: bool) -> None:
        """Tell the subscription what the last look found: a root that appeared means watch it."""
        if root_exists and self.entry is not None and self.entry.path != self.root and not self.chased:
            self.chased = True
            self.wake(moved=True)

    async def refresh(self) -> None:
        """Re-arm the watch when it went stale; call before each look so no change is missed."""
        if not self.stale or self.watcher is None:
            return
        self.stale = False
        self.close()
        try:
            entry = await self.watcher.acquire(self.root)
        except OSError as error:
            _warn_once(error, f"cannot watch {self.root} ({error.strerror}): polling only")
            return
        self.entry = entry
        if entry.path == self.root:
            self.chased = False
            entry.add(self, self.names)
        else:
            entry.add(self, (_next_component(entry.path, self.root),))

    def close(self) -> None:
        if self.entry is not None and self.watcher is not None:
            self.entry.remove(self)
            self.watcher.release(self.entry)
        self.entry = None


def _next_component(ancestor: str, root: str) -> str:
    return os.path.relpath(root, ancestor).split(os.sep)[0]


def _warn_once(error: OSError, message: str) -> None:
    # Once per process and cause: a triggerer with 5,000 sensors must not log 5,000 warnings.
    cause = error.errno or 0
    if cause not in _warned:
        _warned.add(cause)
        log.warning("%s", message)


def subscribe(root: str, names: tuple[str, ...], wakeup: asyncio.Event, *, enabled: bool = True) -> Subscription:
    """Return a subscription that sets ``wakeup`` when a name matching ``names`` changes in ``root``.

    Enter it with ``async with``: it leases the loop's watcher and arms its watch; it never wakes (the probe polls)
    when inotify is unavailable or ``enabled`` is False.
    """
    return Subscription(None, root, names, wakeup, enabled=enabled)
