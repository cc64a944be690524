"""One live resource per key per event loop, shared by every trigger that asks for it.

The triggerer runs thousands of triggers on one loop: each opening its own HTTP session, LISTEN
connection or inotify instance would exhaust sockets and the kernel's 128 inotify instances per
user. A :class:`SharedPool` opens a resource on the first lease, hands the same one to every
later lease with the same key, and closes it when the last lease ends. Pools are per event loop
because asyncio resources cannot cross loops (each ``poke()`` runs its own short loop).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")


@dataclass
class _Entry(Generic[R]):
    opening: asyncio.Future[R]
    users: int = 0


class SharedPool(Generic[K, R]):
    """Lease resources by key; ``open_`` makes one, ``close`` releases it."""

    def __init__(self, open_: Callable[[K], Awaitable[R]], close: Callable[[R], Awaitable[None]]) -> None:
        self._open = open_
        self._close = close
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[K, _Entry[R]]] = (
            weakref.WeakKeyDictionary()
        )

    def _entries(self) -> dict[K, _Entry[R]]:
        return self._by_loop.setdefault(asyncio.get_running_loop(), {})

    def live(self) -> int:
        """Return how many resources are open on the running loop."""
        return len(self._entries())

    def lease(self, key: K) -> Lease[K, R]:
        """Return an async context manager yielding the resource for ``key``, opening it if nobody holds it.

        Entering raises what opening raised.
        """
        return Lease(self, key)

    def _release(self, entries: dict[K, _Entry[R]], key: K, entry: _Entry[R]) -> bool:
        """Drop one user; return True when the caller must close the resource."""
        entry.users -= 1
        failed = entry.opening.done() and (entry.opening.cancelled() or entry.opening.exception() is not None)
        if entry.users > 0 and not failed:
            return False
        if entries.get(key) is entry:
            del entries[key]  # a failed opening is retried by the next lease, not cached
        if entry.users == 0 and not entry.opening.done():
            entry.opening.cancel()  # everyone left before it opened: nobody would close it
        return entry.users == 0 and not failed and entry.opening.done()


class Lease(Generic[K, R]):
    """One holder's lease of a pooled resource (a class, not a generator-based context manager:
    thousands of waiting triggers each hold one, and a suspended async generator costs several
    GC-tracked objects more)."""

    __slots__ = ("_entries", "_entry", "_key", "_pool", "_resource")

    def __init__(self, pool: SharedPool[K, R], key: K) -> None:
        self._pool = pool
        self._key = key

    async def __aenter__(self) -> R:
        entries = self._entries = self._pool._entries()
        entry = entries.get(self._key)
        if entry is None:
            entry = _Entry(asyncio.ensure_future(self._pool._open(self._key)))
            entries[self._key] = entry
        entry.users += 1
        self._entry = entry
        try:
            # shield: one leaseholder being cancelled must not cancel the opening others wait on
            self._resource = await asyncio.shield(entry.opening)
        except BaseException:
            self._pool._release(entries, self._key, entry)
            raise
        return self._resource

    async def __aexit__(self, *exc_info: object) -> None:
        if self._pool._release(self._entries, self._key, self._entry):
            await self._pool._close(self._resource)
