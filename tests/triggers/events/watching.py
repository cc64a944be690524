"""Drive an event watcher for a while and collect what it yields (as the triggerer would)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from airflow.triggers.base import BaseEventTrigger


class Collector:
    """Runs ``trigger.run()`` in a task; ``events`` fills as it yields."""

    def __init__(self, trigger: BaseEventTrigger) -> None:
        self.trigger = trigger
        self.events: list[dict[str, Any]] = []
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Collector:
        self.task = asyncio.create_task(self._consume())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self.task is not None
        if self.task.done():
            self.task.result()  # a watcher must never end: surface why it did
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task

    async def _consume(self) -> None:
        async for event in self.trigger.run():
            self.events.append(event.payload)

    async def until(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until ``count`` events came (fails after ``timeout`` seconds); return them."""
        await eventually(lambda: len(self.events) >= count, timeout, f"{count} events, got {self.events}")
        return self.events


async def eventually(condition: Callable[[], bool | Awaitable[bool]], timeout: float, what: str) -> None:
    """Poll ``condition`` every 20 ms until true; fail naming ``what`` after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)
