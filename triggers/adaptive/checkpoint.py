"""Save a waiting trigger's attempts to the history Variable as they happen.

Without this, a triggerer killed mid-wait takes every "not yet" attempt of that wait with it:
the worker saves the history only from the final report, which the second triggerer writes
from the original kwargs. Saving is a read-merge-write in which equal records collapse, so a
rebuilt trigger saving the same attempts again changes nothing (a trigger may run twice).
"""

from __future__ import annotations

import asyncio

from triggers.adaptive.store import HistoryStore, SensorHistory
from triggers.compat import call_sdk
from triggers.history import Attempt
from triggers.outcomes import Outcome
from triggers.shared import cancel_and_wait


class Checkpoint:
    """An observer for the poll loop: queue each attempt, save queued ones one write at a time."""

    def __init__(self, store: HistoryStore) -> None:
        self.store = store
        self._queued: list[Attempt] = []
        self._saving: asyncio.Task[None] | None = None

    def __call__(self, record: Attempt, outcome: Outcome) -> None:
        self._queued.append(record)
        if self._saving is None or self._saving.done():
            self._saving = asyncio.get_running_loop().create_task(self._save_queued())

    async def _save_queued(self) -> None:
        while self._queued:
            batch, self._queued = tuple(self._queued), []
            # Variable I/O goes through the triggerer's supervisor: off the loop, never failing the wait
            await call_sdk(self.store.save, SensorHistory(attempts=batch))

    async def drain(self) -> None:
        """Wait for the queued attempts to be written."""
        if self._saving is not None:
            await self._saving

    async def abandon(self) -> None:
        """Stop saving (the trigger was cancelled) and wait until the saving task has ended.

        A write already under way in its thread cannot be stopped and completes on its own;
        attempts still queued are not saved (the worker saves the history of a wait that ends).
        """
        self._queued.clear()
        if self._saving is not None:
            await cancel_and_wait(self._saving)
