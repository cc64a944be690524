"""A fake clock and sleep for driving poll loops without real waiting."""

from __future__ import annotations

import asyncio


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
