"""The library's own small thread pool for file scans and JSON reads.

A read on a dead network mount blocks its thread until the kernel gives up, maybe never. On the
loop's default executor enough of them would starve every other trigger's ``asyncio.to_thread``
work (and Airflow's); on this pool a dead mount holds at most :data:`FILE_IO_THREADS` threads.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

#: Threads for file scans and JSON reads per process: plenty for stat/listdir/read, and the most
#: a hung filesystem can hold.
FILE_IO_THREADS = 4
THREAD_NAME_PREFIX = "deferrable-sensors-file-io"

P = ParamSpec("P")
T = TypeVar("T")

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _forget_after_fork() -> None:
    # A forked child has none of its parent's threads: a pool inherited from it would never run a job.
    global _lock, _pool
    _lock = threading.Lock()
    _pool = None


os.register_at_fork(after_in_child=_forget_after_fork)


def file_io_pool() -> ThreadPoolExecutor:
    """Return the process's file I/O pool, created on first use (a forked child makes its own)."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=FILE_IO_THREADS, thread_name_prefix=THREAD_NAME_PREFIX)
        return _pool


async def in_file_thread(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Return ``function(*args, **kwargs)`` run on the file I/O pool."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(file_io_pool(), functools.partial(function, *args, **kwargs))
