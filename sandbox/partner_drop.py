"""A partner dropping a file: after a delay, maybe slowly in chunks, then maybe a marker.

What file sensors have to survive is here on purpose: a slow upload keeps one handle open and
writes chunk by chunk (a reader sees a torn file in between), and the marker comes last. An
``atomic`` partner writes to a hidden temporary name and renames it into place instead.
Use it from a thread or from asyncio::

    drop = PartnerDrop("/tmp/partner/orders.csv", delay=5, chunks=4, chunk_pause=0.5, marker_suffix=".done")
    drop.deliver()                  # blocking
    drop.start()                    # in a daemon thread; returns the thread
    await drop.adeliver()           # asyncio: sleeps on the loop, writes in a worker thread
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

DEFAULT_CONTENT = b"user_id,action,timestamp\n1,click,2024-01-01T10:00:00Z\n2,purchase,2024-01-01T10:05:00Z\n"

Step = tuple[float, Callable[[], None]]


@dataclass(frozen=True)
class PartnerDrop:
    """One delivery of ``content`` to ``path``.

    :param delay: seconds before the file appears.
    :param chunks: how many writes the content is split into (one open handle throughout).
    :param chunk_pause: seconds between two chunks, during which the file is incomplete.
    :param marker_suffix: after the file is complete, create ``<path><marker_suffix>`` (empty).
    :param atomic: write ``.<name>.part`` next to it and rename it into place when complete.
    """

    path: str | os.PathLike[str]
    content: bytes = DEFAULT_CONTENT
    delay: float = 0.0
    chunks: int = 1
    chunk_pause: float = 0.0
    marker_suffix: str | None = None
    atomic: bool = False

    def __post_init__(self) -> None:
        if self.chunks < 1:
            raise ValueError(f"chunks must be >= 1, got {self.chunks}")
        if self.delay < 0 or self.chunk_pause < 0:
            raise ValueError("delay and chunk_pause must be >= 0")

    @property
    def target(self) -> Path:
        return Path(self.path)

    @property
    def marker(self) -> Path | None:
        return None if self.marker_suffix is None else Path(f"{self.target}{self.marker_suffix}")

    def steps(self) -> list[Step]:
        """Return the delivery as (pause before, action) pairs; the actions do blocking file I/O."""
        target = self.target
        writing = target.with_name(f".{target.name}.part") if self.atomic else target
        size = len(self.content)
        cuts = [size * i // self.chunks for i in range(self.chunks + 1)]
        handle: list[IO[bytes]] = []

        def open_and_write_first() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle.append(writing.open("wb"))
            write(0)

        def write(index: int) -> None:
            handle[0].write(self.content[cuts[index] : cuts[index + 1]])
            handle[0].flush()

        def finish() -> None:
            handle[0].close()
            if self.atomic:
                writing.rename(target)
            if self.marker is not None:
                self.marker.touch()

        steps: list[Step] = [(self.delay, open_and_write_first)]
        steps += [(self.chunk_pause, functools.partial(write, i)) for i in range(1, self.chunks)]
        steps.append((0.0, finish))
        return steps

    def deliver(self) -> Path:
        """Deliver now, blocking through the pauses; return the file's path."""
        for pause, action in self.steps():
            time.sleep(pause)
            action()
        return self.target

    def start(self) -> threading.Thread:
        """Deliver in a daemon thread; return the started thread."""
        thread = threading.Thread(target=self.deliver, name=f"partner-drop {self.target.name}", daemon=True)
        thread.start()
        return thread

    async def adeliver(self) -> Path:
        """Deliver from asyncio without blocking the loop; return the file's path."""
        for pause, action in self.steps():
            await asyncio.sleep(pause)
            await asyncio.to_thread(action)
        return self.target
