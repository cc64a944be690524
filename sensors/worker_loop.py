"""One event loop per worker process for the checks sensors run from sync code (pokes, the first look).

Running each poke under ``asyncio.run`` made a new loop every time, so nothing one poke opened (an
HTTP session, a database pool, an inotify watcher: shared per loop, see :mod:`triggers.shared`)
could serve the next. Checks run here instead: on one loop in a daemon thread that lives as long
as the worker process, as the triggerer's loop does. A forked child starts a loop of its own.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import threading
import weakref
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def _forget_after_fork() -> None:
    """In a forked child the parent's loop thread does not exist: start afresh (and unlock)."""
    global _lock, _loop
    _lock, _loop = threading.Lock(), None


os.register_at_fork(after_in_child=_forget_after_fork)


def worker_loop() -> asyncio.AbstractEventLoop:
    """Return this process's check loop, starting its thread on first use."""
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="sensor-checks", daemon=True).start()
            _loop = loop
        return _loop


#: What pokes hold open across pokes; closed at exit if the sensor never closed it.
_held: weakref.WeakSet[contextlib.AsyncExitStack] = weakref.WeakSet()


def close_at_exit(stack: contextlib.AsyncExitStack) -> None:
    """Have ``stack`` closed on the worker loop when the process exits, unless closed before."""
    _held.add(stack)


@atexit.register
def _close_at_exit(grace: float = 5.0) -> None:
    """Close what pokes left open (a sensor poked without ``execute()`` never closes its probe).

    Otherwise the interpreter destroys the loop with its tasks pending, and logs each one.
    """
    loop = _loop
    if loop is None or loop.is_closed() or not loop.is_running():
        return

    async def close_all() -> None:
        for stack in list(_held):  # one at a time: closing all at once raced nested contexts
            with contextlib.suppress(Exception):
                await stack.aclose()
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=grace)

    with contextlib.suppress(Exception):  # exiting anyway: a check that will not close must not hang the exit
        asyncio.run_coroutine_threadsafe(close_all(), loop).result(timeout=grace * 2)
    loop.call_soon_threadsafe(loop.stop)


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on the worker loop and return its result (or raise what it raised).

    Callable from any thread but the loop's own, including one that runs an event loop of its own.
    """
    loop = worker_loop()
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        coroutine.close()
        raise RuntimeError("run_sync() called from the worker loop itself: await the coroutine instead")
    return asyncio.run_coroutine_threadsafe(coroutine, loop).result()
