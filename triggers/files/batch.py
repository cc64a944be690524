"""Blocking file calls asked for in the same loop iteration go to a worker thread together, in one hop.

A hop to a worker thread costs far more than the ``stat`` it carries (a queue put, a
concurrent future with its lock, a callback back into the loop, and a GIL hand-over each way).
Thousands of file triggers polling at once would spend the loop on hops, so each loop gathers
the calls (scans, directory listings) requested before it next runs its callbacks and sends them
as one job. Each caller still gets its own result or its own exception.

A call hanging on a dead network mount holds up the other calls of its batch (they time out
through ``attempt_timeout`` like the hung one); later batches go to other worker threads of the
library's own file I/O pool (:mod:`triggers.file_io`), never the loop's default executor.
"""

from __future__ import annotations

import asyncio
import functools
import math
import weakref
from collections.abc import Callable
from concurrent.futures import Future as ThreadFuture
from typing import Any, ParamSpec, TypeVar

from triggers.file_io import file_io_pool
from triggers.files.pattern import FilePattern, Scan, scan

#: the finest beat calls are rounded up to (a poll of a fraction of a second is kept close)
MIN_BEAT = 1 / 64
P = ParamSpec("P")
T = TypeVar("T")


def _run_all(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run every call of a batch (in a worker thread); return each one's result or exception."""
    answers: list[Any] = []
    for call in calls:
        try:
            answers.append(call())
        except Exception as error:  # handed back to the one caller it belongs to
            answers.append(_Raised(error))
    return answers


class _Raised:
    """An exception a call raised, told apart from a call that returned an exception."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class Batcher:
    """Collects the blocking calls of one loop iteration and runs them in one worker-thread job."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._calls: list[Callable[[], Any]] = []
        self._waiting: list[asyncio.Future[Any]] = []

    async def run(self, call: Callable[[], T]) -> T:
        """Return what ``call()`` returns, run in a worker thread; raise what it raises."""
        if not self._calls:
            self._loop.call_soon(self._flush)  # after every caller of this iteration has asked
        future: asyncio.Future[T] = self._loop.create_future()
        self._calls.append(call)
        self._waiting.append(future)
        return await future

    def _flush(self) -> None:
        calls, waiting = self._calls, self._waiting
        self._calls, self._waiting = [], []
        job = self._loop.run_in_executor(file_io_pool(), _run_all, calls)
        job.add_done_callback(lambda done: _hand_out(done, waiting))


def _hand_out(job: asyncio.Future[list[Any]] | ThreadFuture[list[Any]], waiting: list[asyncio.Future[Any]]) -> None:
    if job.cancelled():  # the loop's executor shut down
        for future in waiting:
            future.cancel()
        return
    failure = job.exception()
    answers: list[Any] = [_Raised(failure)] * len(waiting) if failure is not None else job.result()
    for future, answer in zip(waiting, answers, strict=True):
        if future.done():
            continue  # its caller gave up (attempt timeout, cancellation)
        if isinstance(answer, _Raised):
            future.set_exception(answer.error)
        else:
            future.set_result(answer)


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Batcher] = weakref.WeakKeyDictionary()


async def in_batch(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Return ``function(*args, **kwargs)`` run in a worker thread, batched with this loop iteration's other calls."""
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        batcher = _batchers[loop] = Batcher(loop)
    return await batcher.run(functools.partial(function, *args, **kwargs))


async def batched_scan(pattern: FilePattern, marker_suffix: str | None) -> Scan:
    """Scan ``pattern`` in a worker thread, batched with the other calls of this loop iteration."""
    return await in_batch(scan, pattern, marker_suffix)


def on_beat(now: float, delay: float) -> float:
    """Return the loop time ``delay`` seconds after ``now``, rounded up to the beat of that delay.

    The beat is the power of two at or below an eighth of the delay (0.5 s for 5 s, 4 s for a
    minute), so directories polled at like cadences come due in the same loop iteration and are
    listed in one thread job at one wake-up, at most an eighth of
    the interval later than asked.
    """
    if delay <= 0:
        return now
    beat = 2.0 ** math.floor(math.log2(delay / 8)) if delay >= 8 * MIN_BEAT else MIN_BEAT
    return math.ceil((now + delay) / beat) * beat
