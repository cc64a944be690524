"""EventWatcher's producer loop: backoff on errors, and a cancellation that a look swallowed still stops it."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from triggers.events import FileEventTrigger
from triggers.events.base import Trouble, backoff
from triggers.files import FileCheck


@pytest.mark.parametrize(
    ("failures", "interval", "delay"),
    [
        pytest.param(1, 0.05, 1.0, id="first-failure-at-least-a-second"),
        pytest.param(3, 2.0, 8.0, id="doubles"),
        pytest.param(30, 2.0, 300.0, id="capped"),
    ],
)
def test_backoff_doubles_from_the_interval_and_is_capped(failures: int, interval: float, delay: float) -> None:
    assert backoff(failures, interval) == delay


async def test_a_failing_look_becomes_trouble_and_the_loop_goes_on(tmp_path: Path) -> None:
    trigger = FileEventTrigger(check=FileCheck(f"{tmp_path}/*.csv").to_dict(), interval=0.05)
    calls = 0

    async def look() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError("stale NFS handle")
        return "fine"

    looks = trigger.looking(look)
    first = await anext(looks)
    assert isinstance(first, Trouble)
    assert "stale NFS handle" in first.error
    assert await anext(looks) == "fine"  # after one backoff (1 s)
    await looks.aclose()


async def test_a_cancellation_swallowed_by_a_look_still_stops_the_watcher(tmp_path: Path) -> None:
    # Python 3.11's asyncio.wait_for (used by a look's timeout) can return the result and drop a
    # cancellation that lands as the inner call finishes; the watcher must stop anyway.
    trigger = FileEventTrigger(check=FileCheck(f"{tmp_path}/*.csv").to_dict(), interval=0.05)
    started = asyncio.Event()

    async def look() -> str:
        started.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            return "swallowed"
        return "slept"

    async def consume() -> None:
        async for _ in trigger.looking(look):
            pass

    task = asyncio.create_task(consume())
    await started.wait()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2)
    assert done == {task}, "the watcher kept running after it was cancelled"
    assert task.cancelled()
    with contextlib.suppress(asyncio.CancelledError):
        await task
