"""A fake clock and pause for driving poll loops without real waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from triggers.poll_loop import Pause


class FakeTime:
    """Wall clock, monotonic clock and sleep in one; ``sleeps`` lists every requested delay."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds
        await asyncio.sleep(0)  # let other tasks run, as a real sleep would

    @property
    def pause(self) -> Pause:
        """The poll loop's pause on this clock: :meth:`sleep`, cut short by a probe's wakeup."""
        return racing(self.sleep)


def racing(sleep: Callable[[float], Awaitable[None]]) -> Pause:
    """Return a pause that runs ``sleep`` but returns as soon as the wakeup event is set."""

    async def pause(seconds: float, wakeup: asyncio.Event | None = None) -> None:
        if wakeup is None:
            await sleep(seconds)
            return
        if wakeup.is_set():
            return
        sleeper = asyncio.ensure_future(sleep(seconds))
        waker = asyncio.ensure_future(wakeup.wait())
        try:
            await asyncio.wait((sleeper, waker), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()

    return pause
