"""File reads are bounded: a huge JSON file is refused unread, a hung read holds only the library's own threads."""

import asyncio
import errno
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from triggers.errors import PermanentError
from triggers.file_io import FILE_IO_THREADS
from triggers.json_file import MAX_JSON_BYTES, TornFileError, read_json


def bytes_read_by_this_process() -> int:
    """Return ``rchar`` from /proc/self/io: every byte read() returned to this process, all threads."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


async def test_a_1_gb_json_file_is_refused_without_being_read(tmp_path) -> None:
    huge = tmp_path / "orders.json"
    with huge.open("wb") as handle:
        handle.truncate(1024**3)  # sparse: 1 GB that takes no disk
    before = bytes_read_by_this_process()
    with pytest.raises(PermanentError, match=r"1,073,741,824 bytes, larger than the 16,777,216-byte cap"):
        await read_json(str(huge))
    assert bytes_read_by_this_process() - before < 1024 * 1024  # well under the file, and under the cap


async def test_a_file_at_the_cap_is_read(tmp_path) -> None:
    path = tmp_path / "small.json"
    path.write_text('{"ok": true}')
    assert await read_json(str(path), max_bytes=len('{"ok": true}')) == {"ok": True}
    assert MAX_JSON_BYTES == 16 * 1024 * 1024


def release(fifo: Path) -> bool:
    """Open ``fifo`` for writing and close it, so its blocked reader sees an empty file; False: no reader yet."""
    try:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    except OSError as error:
        if error.errno == errno.ENXIO:  # its read is still queued for a thread
            return False
        raise
    return True


async def test_a_stuck_read_does_not_block_another_to_thread_call(tmp_path) -> None:
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=2))  # small, so starving it would show
    # A FIFO without a writer blocks open() like a dead mount; more of them than the pool has threads.
    fifos = [tmp_path / f"stuck-{n}.json" for n in range(FILE_IO_THREADS + 2)]
    for fifo in fifos:
        os.mkfifo(fifo)
    reads = [asyncio.ensure_future(read_json(str(fifo))) for fifo in fifos]
    try:
        await asyncio.sleep(0.2)
        assert not any(read.done() for read in reads)  # every one hangs
        assert await asyncio.wait_for(asyncio.to_thread(int, "42"), 10) == 42
    finally:
        waiting = dict(zip(fifos, reads, strict=True))
        for _ in range(200):  # the queued reads reach their FIFO only once the first ones are released
            for fifo, read in list(waiting.items()):
                if read.done() or release(fifo):
                    del waiting[fifo]
            if not waiting:
                break
            await asyncio.sleep(0.05)
        results = await asyncio.wait_for(asyncio.gather(*reads, return_exceptions=True), 10)
    assert {type(result) for result in results} == {TornFileError}
