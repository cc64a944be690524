"""A probe's subscription to the shared watcher: which names below which root wake it.

The subscription follows its root: while the root does not exist it watches the nearest
existing parent for the next path component, and moves down when that appears (an event, or a
look that finds the root). It moves again when its directory is deleted, moved or unmounted.
Where nothing can be watched (inotify unavailable, permission denied, the watch limit reached)
it never wakes and the probe polls; the cause is logged once per process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator

from triggers.files.watcher import WATCHER_KEY, WATCHERS, Directory, Watcher

log = logging.getLogger(__name__)

_warned: set[int] = set()


class Subscription:
    """One probe's interest in file names below ``root``; sets ``wakeup`` when one changes."""

    __slots__ = ("chased", "entry", "names", "root", "stale", "wakeup", "watcher")

    def __init__(self, watcher: Watcher | None, root: str, names: tuple[str, ...], wakeup: asyncio.Event) -> None:
        self.watcher = watcher
        self.root = root
        self.names = names
        self.wakeup = wakeup
        self.entry: Directory | None = None
        self.stale = watcher is not None
        self.chased = False  # re-armed once because a look saw the root: do not loop on it

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


@contextlib.asynccontextmanager
async def subscribe(
    root: str, names: tuple[str, ...], wakeup: asyncio.Event, *, enabled: bool = True
) -> AsyncIterator[Subscription]:
    """Yield a subscription that sets ``wakeup`` when a name matching ``names`` changes in ``root``.

    Falls back to a subscription that never wakes (the probe polls) when inotify is unavailable
    or ``enabled`` is False.
    """
    async with contextlib.AsyncExitStack() as stack:
        watcher = None
        if enabled:
            try:
                watcher = await stack.enter_async_context(WATCHERS.lease(WATCHER_KEY))
            except OSError as error:
                _warn_once(error, f"inotify unavailable ({error.strerror}): file sensors poll only")
        subscription = Subscription(watcher, root, names, wakeup)
        stack.callback(subscription.close)
        await subscription.refresh()
        yield subscription
