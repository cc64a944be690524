"""One inotify instance per event loop, shared by every file probe in the process.

The kernel allows 128 inotify instances per user: a triggerer holding thousands of file
sensors must not open one each. :data:`WATCHERS` leases a single :class:`Watcher` per event
loop; it holds one watch per directory however many probes wait on it (refcounted), reads
events in one task, and sets the ``wakeup`` event of each probe whose file name pattern
matches. A probe whose directory does not exist yet watches its nearest existing parent for the
next path component and moves down as directories appear.

Events only shorten waits: a probe still polls at its cadence, so a lost event (queue
overflow, a network filesystem that sends none, inotify unavailable, the watch limit reached)
costs latency, never correctness. Adding a watch resolves a path, which can hang on a network
mount, so it runs on the library's file I/O pool; removing one is a quick call on the inotify descriptor.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import re
from collections.abc import Iterable
from fnmatch import translate
from typing import TYPE_CHECKING

from triggers.file_io import in_file_thread
from triggers.shared import SharedPool, cancel_and_wait

if TYPE_CHECKING:
    from asyncinotify import Event, Inotify, Watch

    from triggers.files.subscription import Subscription

log = logging.getLogger(__name__)

#: The key every probe leases the watcher under: one watcher per event loop.
WATCHER_KEY = "inotify"


def open_inotify() -> Inotify:
    """Return a new inotify instance: the native boundary. Raises OSError when unavailable."""
    try:
        from asyncinotify import Inotify
    except (ImportError, AttributeError, RuntimeError) as error:  # not Linux, or no inotify in libc
        raise OSError(errno.ENOSYS, f"inotify is not available: {error}") from error
    return Inotify(cache_size=256)


class Directory:
    """One watched directory: its kernel watch and the probes waiting on names in it."""

    __slots__ = ("literal", "path", "patterns", "users", "watch")

    def __init__(self, path: str, watch: Watch) -> None:
        self.path = path
        self.watch = watch
        self.users = 0
        self.literal: dict[str, set[Subscription]] = {}
        self.patterns: dict[str, tuple[re.Pattern[str], set[Subscription]]] = {}

    def add(self, subscription: Subscription, names: Iterable[str]) -> None:
        for name in names:
            if _is_pattern(name):
                self.patterns.setdefault(name, (re.compile(translate(name)), set()))[1].add(subscription)
            else:
                self.literal.setdefault(name, set()).add(subscription)

    def remove(self, subscription: Subscription) -> None:
        for name in list(self.literal):
            self.literal[name].discard(subscription)
            if not self.literal[name]:
                del self.literal[name]
        for name in list(self.patterns):
            self.patterns[name][1].discard(subscription)
            if not self.patterns[name][1]:
                del self.patterns[name]

    def interested(self, name: str) -> set[Subscription]:
        """Return the subscriptions whose name or pattern matches ``name``."""
        found = set(self.literal.get(name, ()))
        for compiled, subscriptions in self.patterns.values():
            if compiled.match(name):
                found |= subscriptions
        return found

    def everyone(self) -> set[Subscription]:
        found: set[Subscription] = set()
        for subscriptions in self.literal.values():
            found |= subscriptions
        for _, subscriptions in self.patterns.values():
            found |= subscriptions
        return found


def _is_pattern(name: str) -> bool:
    return any(c in name for c in "*?[")


class Watcher:
    """The inotify instance of one event loop, its directory watches and its reader task."""

    def __init__(self, inotify: Inotify) -> None:
        from asyncinotify import Mask

        self._inotify = inotify
        # A file appears (created, renamed in), is finished (closed after writing) or changes
        # metadata (cp -p setting the mtime, a chmod making it readable). MODIFY is left out on
        # purpose: a slow writer would send one per write() to every probe on the directory.
        self._mask = (
            Mask.CREATE
            | Mask.MOVED_TO
            | Mask.CLOSE_WRITE
            | Mask.ATTRIB
            | Mask.DELETE_SELF
            | Mask.MOVE_SELF
            | Mask.ONLYDIR
            | Mask.EXCL_UNLINK
        )
        self._gone = Mask.DELETE_SELF | Mask.MOVE_SELF | Mask.IGNORED | Mask.UNMOUNT
        self._ignored = Mask.IGNORED
        self._overflow = Mask.Q_OVERFLOW
        self._dirs: dict[str, Directory] = {}
        self._by_wd: dict[int, set[Directory]] = {}
        self._reader = asyncio.ensure_future(self._read())

    async def acquire(self, root: str) -> Directory:
        """Return the watched directory for ``root``, or for its nearest existing parent.

        Raises OSError when nothing can be watched (permission denied, the watch limit).
        """
        entry = self._dirs.get(root)
        if entry is None:
            adding = asyncio.ensure_future(in_file_thread(self._add_nearest, root))
            try:
                path, watch = await asyncio.shield(adding)
            except asyncio.CancelledError:
                adding.add_done_callback(self._drop_unclaimed)  # the thread adds it anyway
                raise
            entry = self._dirs.get(path)
            if entry is None or entry.watch.wd != watch.wd:
                entry = Directory(path, watch)
                self._dirs[path] = entry
                self._by_wd.setdefault(watch.wd, set()).add(entry)
        entry.users += 1
        return entry

    def _add_nearest(self, root: str) -> tuple[str, Watch]:
        path = root
        while True:
            try:
                return path, self._inotify.add_watch(path, self._mask)
            except (FileNotFoundError, NotADirectoryError):
                parent = os.path.dirname(path)
                if parent == path:
                    raise
                path = parent

    def _drop_unclaimed(self, adding: asyncio.Future[tuple[str, Watch]]) -> None:
        """Remove a watch whose requester was cancelled while it was being added, unless in use."""
        if adding.cancelled() or adding.exception() is not None:
            return
        _, watch = adding.result()
        if watch.wd not in self._by_wd:
            with contextlib.suppress(OSError):
                self._inotify.rm_watch(watch)

    def release(self, entry: Directory) -> None:
        """Drop one user of ``entry``; remove the kernel watch with the last one."""
        entry.users -= 1
        if entry.users > 0:
            return
        if self._dirs.get(entry.path) is entry:
            del self._dirs[entry.path]
        holders = self._by_wd.get(entry.watch.wd)
        if holders is None:
            return  # the kernel dropped the watch already (IGNORED)
        holders.discard(entry)
        if not holders:
            del self._by_wd[entry.watch.wd]
            with contextlib.suppress(OSError):  # already gone in the kernel: nothing to undo
                self._inotify.rm_watch(entry.watch)

    async def _read(self) -> None:
        async for event in self._inotify:
            try:
                self._dispatch(event)
            except Exception:  # a bad event must not stop the wake-ups of every other probe
                log.exception("inotify event %r could not be dispatched", event)

    def _dispatch(self, event: Event) -> None:
        if event.mask & self._overflow:
            # Events were dropped: anyone may have missed theirs.
            for entries in self._by_wd.values():
                for entry in entries:
                    for subscription in entry.everyone():
                        subscription.wake()
            return
        watch = event.watch
        if watch is None:
            return  # an event for a watch removed already
        entries = self._by_wd.get(watch.wd, set())
        if event.mask & self._gone:
            self._retire(entries)
            if event.mask & self._ignored:
                self._by_wd.pop(watch.wd, None)  # the kernel dropped it: nothing left to remove
            return
        if event.name is None:
            return
        name = str(event.name)
        for entry in entries:
            for subscription in entry.interested(name):
                subscription.wake(moved=entry.path != subscription.root)

    def _retire(self, entries: set[Directory]) -> None:
        """The directory was deleted, moved or unmounted: its probes watch again from scratch."""
        for entry in list(entries):
            if self._dirs.get(entry.path) is entry:
                del self._dirs[entry.path]  # a new lease must add a new watch
            for subscription in entry.everyone():
                subscription.wake(moved=True)

    async def close(self) -> None:
        try:
            await cancel_and_wait(self._reader)
        finally:
            self._inotify.close()  # even when this close is itself cancelled: the fd must not leak


async def _open_watcher(_key: str) -> Watcher:
    return Watcher(open_inotify())


async def _close_watcher(watcher: Watcher) -> None:
    await watcher.close()


#: The per-event-loop watcher; lease it with ``WATCHERS.lease(WATCHER_KEY)``.
WATCHERS: SharedPool[str, Watcher] = SharedPool(_open_watcher, _close_watcher)


def kernel_usage() -> tuple[int, int]:
    """Return (inotify instances, inotify watches) this process holds, from /proc/self (Linux).

    A diagnostic for tests and benchmarks (it reads /proc synchronously; not for the loop).
    """
    instances = watches = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") != "anon_inode:inotify":
                continue
            with open(f"/proc/self/fdinfo/{fd}") as info:
                watches += sum(1 for line in info if line.startswith("inotify wd:"))
        except OSError:
            continue  # closed while we looked
        instances += 1
    return instances, watches
