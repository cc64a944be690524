"""Scans asked for in the same loop iteration go to a worker thread together, in one hop.

A hop to a worker thread costs far more than the ``stat`` it carries (a queue put, a
concurrent future with its lock, a callback back into the loop, and a GIL hand-over each way).
Thousands of file triggers polling at once would spend the loop on hops, so each loop gathers
the scans requested before it next runs its callbacks and sends them as one job. Each caller
still gets its own result or its own exception.

A scan hanging on a dead network mount holds up the other scans of its batch (they time out
through ``attempt_timeout`` like the hung one); later batches go to other worker threads of the
library's own file I/O pool (:mod:`triggers.file_io`), never the loop's default executor.
"""

from __future__ import annotations

import asyncio
import weakref
from concurrent.futures import Future as ThreadFuture

from triggers.file_io import file_io_pool
from triggers.files.pattern import FilePattern, Scan, scan

Request = tuple[FilePattern, str | None]
Answer = Scan | BaseException


def _scan_all(requests: list[Request]) -> list[Answer]:
    """Run every scan of a batch (in a worker thread); return its result or its exception."""
    answers: list[Answer] = []
    for pattern, marker_suffix in requests:
        try:
            answers.append(scan(pattern, marker_suffix))
        except Exception as error:  # handed back to the one caller it belongs to
            answers.append(error)
    return answers


class ScanBatcher:
    """Collects the scans of one loop iteration and runs them in one worker-thread job."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._requests: list[Request] = []
        self._waiting: list[asyncio.Future[Scan]] = []

    async def scan(self, pattern: FilePattern, marker_suffix: str | None) -> Scan:
        """Return what ``pattern`` matches now; raises what :func:`~triggers.files.pattern.scan` raises."""
        if not self._requests:
            self._loop.call_soon(self._flush)  # after every caller of this iteration has asked
        future: asyncio.Future[Scan] = self._loop.create_future()
        self._requests.append((pattern, marker_suffix))
        self._waiting.append(future)
        return await future

    def _flush(self) -> None:
        requests, waiting = self._requests, self._waiting
        self._requests, self._waiting = [], []
        job = self._loop.run_in_executor(file_io_pool(), _scan_all, requests)
        job.add_done_callback(lambda done: _hand_out(done, waiting))


def _hand_out(
    job: asyncio.Future[list[Answer]] | ThreadFuture[list[Answer]], waiting: list[asyncio.Future[Scan]]
) -> None:
    if job.cancelled():  # the loop's executor shut down
        for future in waiting:
            future.cancel()
        return
    failure = job.exception()
    answers: list[Answer] = [failure] * len(waiting) if failure is not None else job.result()
    for future, answer in zip(waiting, answers, strict=True):
        if future.done():
            continue  # its caller gave up (attempt timeout, cancellation)
        if isinstance(answer, BaseException):
            future.set_exception(answer)
        else:
            future.set_result(answer)


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ScanBatcher] = weakref.WeakKeyDictionary()


async def batched_scan(pattern: FilePattern, marker_suffix: str | None) -> Scan:
    """Scan ``pattern`` in a worker thread, batched with the other scans of this loop iteration."""
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        batcher = _batchers[loop] = ScanBatcher(loop)
    return await batcher.scan(pattern, marker_suffix)
