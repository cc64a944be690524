"""One live resource per key per event loop, shared by every trigger that asks for it.

The triggerer runs thousands of triggers on one loop: each opening its own HTTP session, LISTEN
connection or inotify instance would exhaust sockets and the kernel's 128 inotify instances per
user. A :class:`SharedPool` keeps one *owner task* per key (the model of Airflow 3.3's shared
streams): the owner opens the resource, holds it, and closes it in its ``finally`` when it is
cancelled. Leases hold nothing that must be closed: a lease (or an acquire/release pair) counts
itself in and out, and the last one leaving cancels the owner. So a lease cancelled at any moment, even in the loop
iteration in which the opening finished, cannot leak what was opened. A resource that opens with
nothing to await (a directory's listing state, an HTTP session) is instead *made* in the first
acquire (``make=``), so no holder waits, and closed by the last holder's leaving. Pools are per event loop
because asyncio resources cannot cross loops (pokes run on a worker's own loop: sensors.worker_loop).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")

#: Owner tasks closing after their last lease was cancelled: referenced until done, so the
#: loop's weak reference alone cannot let one be collected halfway through closing.
_CLOSING: set[asyncio.Task[None]] = set()


@dataclass(eq=False)
class _Entry(Generic[R]):
    ready: asyncio.Future[R]
    owner: asyncio.Task[None] | None = None
    users: int = 0
    #: the owner holds this open until it is cancelled
    held: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


async def cancel_and_wait(*tasks: asyncio.Future[Any]) -> None:
    """Cancel ``tasks`` and wait until they have ended.

    Unlike ``suppress(CancelledError): await task``, a cancellation of the caller itself while it
    waits propagates instead of being swallowed.
    """
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks)
    for task in tasks:
        if not task.cancelled():
            task.exception()  # retrieved: an error of a task being stopped is not news


def _consume_outcome(task: asyncio.Task[None]) -> None:
    _CLOSING.discard(task)
    if not task.cancelled():
        task.exception()  # a close that failed with nobody waiting: retrieved, not warned about at exit


class SharedPool(Generic[K, R]):
    """Lease resources by key; ``open_`` makes one, ``close`` releases it."""

    def __init__(
        self,
        open_: Callable[[K], Awaitable[R]] | None,
        close: Callable[[R], Awaitable[None]],
        *,
        make: Callable[[K], R] | None = None,
    ) -> None:
        """``open_`` opens a resource in its owner task; or ``make`` makes it at once, in the first
        acquire, so no holder waits for it (it is closed when the last holder leaves)."""
        if (open_ is None) == (make is None):
            raise TypeError("SharedPool takes open_ or make, not both or neither")
        self._open = open_
        self._make = make
        self._close = close
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[K, _Entry[R]]] = (
            weakref.WeakKeyDictionary()
        )

    def _entries(self) -> dict[K, _Entry[R]]:
        # get before set: setdefault makes a weak reference with a callback on every call
        loop = asyncio.get_running_loop()
        entries = self._by_loop.get(loop)
        if entries is None:
            entries = self._by_loop[loop] = {}
        return entries

    def live(self) -> int:
        """Return how many resources are open or opening on the running loop."""
        return len(self._entries())

    def holders(self, key: K) -> int:
        """Return how many holders ``key``'s resource has on the running loop (0: it is not open)."""
        entry = self._entries().get(key)
        return 0 if entry is None else entry.users

    def lease(self, key: K) -> Lease[K, R]:
        """Return an async context manager yielding the resource for ``key``, opening it if nobody holds it.

        Entering raises what opening raised.
        """
        return Lease(self, key)

    async def acquire(self, key: K) -> R:
        """Count one holder of ``key`` in and return its resource, opening it if nobody holds it.

        Raises what opening raised, the holder then counted out again. Each acquire that returned
        needs one :meth:`release` (in a ``finally``): what :meth:`lease` does, without an object
        per holder.
        """
        entries = self._entries()
        entry = entries.get(key)
        if entry is None:
            entry = self._start(entries, key)
        entry.users += 1
        if entry.ready.done() and not entry.ready.cancelled() and entry.ready.exception() is None:
            return entry.ready.result()  # open already: no shield, no extra future per holder
        try:
            # shield: one holder being cancelled must not cancel the opening others wait on
            return await asyncio.shield(entry.ready)
        except BaseException:
            self._leave(entries, key, entry)  # closes in the background: this holder is cancelled or failed
            raise

    def hold(self, key: K) -> R:
        """Count one holder of ``key`` in and return its resource, made now if nobody holds it; no await.

        For pools that ``make`` (TypeError otherwise); raises what making raised. Each hold needs one
        :meth:`let_go`.
        """
        if self._make is None:
            raise TypeError("hold() is for a pool that makes its resources (make=)")
        entries = self._entries()
        entry = entries.get(key) or self._start(entries, key)
        entry.users += 1
        return entry.ready.result()

    def let_go(self, key: K) -> None:
        """Count one holder of ``key`` out, waiting for nothing: the last one's close runs in the background."""
        entries = self._entries()
        self._leave(entries, key, entries[key])

    async def release(self, key: K) -> None:
        """Count one holder of ``key`` out; the last one closes the resource and waits for it.

        Raises what closing raised. If the caller is cancelled while it waits, the cancellation
        propagates and the resource closes in the background.
        """
        entries = self._entries()
        # a held entry stays under its key: only the last release or a failed opening removes it
        owner = self._leave(entries, key, entries[key])
        if owner is None:
            return
        await asyncio.wait((owner,))  # wait for the close, so a holder that ends leaves nothing running
        if not owner.cancelled():
            owner.result()  # raise what closing raised

    def _start(self, entries: dict[K, _Entry[R]], key: K) -> _Entry[R]:
        entry: _Entry[R] = _Entry(asyncio.get_running_loop().create_future())
        if self._make is not None:
            # made at once: 10,000 waits starting together then each skip a shield and a
            # suspended acquire, objects the garbage collector would otherwise promote and scan
            entry.ready.set_result(self._make(key))  # raises what making raised; nothing is stored
        else:
            entry.owner = asyncio.ensure_future(self._own(entries, key, entry))
        entries[key] = entry
        return entry

    async def _own(self, entries: dict[K, _Entry[R]], key: K, entry: _Entry[R]) -> None:
        """Open the resource, hand it to the leases, hold it until cancelled, then close it."""
        assert self._open is not None  # an owner task is started only for a pool that opens
        try:
            resource = await self._open(key)
        except asyncio.CancelledError:
            entry.ready.cancel()
            raise
        except Exception as error:
            if entries.get(key) is entry:
                del entries[key]  # a failed opening is retried by the next lease, not cached
            entry.ready.set_exception(error)
            return
        try:
            entry.ready.set_result(resource)
            await entry.held
        finally:
            await self._close(resource)

    def _leave(self, entries: dict[K, _Entry[R]], key: K, entry: _Entry[R]) -> asyncio.Task[None] | None:
        """Count one lease out; when this was the last one, return the task that closes the resource
        (the owner, cancelled; or, for a made resource, a new task closing it), kept until it is done."""
        entry.users -= 1
        if entry.users > 0:
            return None
        if entries.get(key) is entry:
            del entries[key]
        owner = entry.owner
        if owner is None:  # made at once: no owner holds it, so the last holder's leaving closes it
            owner = asyncio.ensure_future(self._close(entry.ready.result()))
        else:
            owner.cancel()
        _CLOSING.add(owner)
        owner.add_done_callback(_consume_outcome)
        return owner


class Lease(Generic[K, R]):
    """One holder's lease of a pooled resource: :meth:`SharedPool.acquire` on entering,
    :meth:`SharedPool.release` on leaving (a class, not a generator-based context manager: a
    suspended async generator costs several GC-tracked objects more)."""

    __slots__ = ("_key", "_pool")

    def __init__(self, pool: SharedPool[K, R], key: K) -> None:
        self._pool = pool
        self._key = key

    async def __aenter__(self) -> R:
        return await self._pool.acquire(self._key)

    async def __aexit__(self, *exc_info: object) -> None:
        await self._pool.release(self._key)
