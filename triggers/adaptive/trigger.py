"""AdaptiveIntervalTrigger: a poll trigger whose interval adapts, with a live manual override.

Its report carries the attempt history (past runs' first, bounded to ``max_records``) for the
worker to save. It writes only that history Variable, merging (:class:`Checkpoint`), so a
triggerer failover that runs it again from its kwargs changes nothing.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from triggers.adaptive.learned import Learned
from triggers.adaptive.override import LiveOverride, Overridden
from triggers.adaptive.performance import summarize
from triggers.adaptive.store import HistoryStore, SensorHistory
from triggers.compat import call_sdk
from triggers.errors import ConfigurationError
from triggers.history import Attempt
from triggers.outcomes import Outcome
from triggers.poll_loop import PollLoop
from triggers.poll_trigger import PollTrigger
from triggers.report import Report
from triggers.shared import cancel_and_wait
from triggers.unusable import argument
from triggers.validation import require_positive

OWN_KWARGS = ("interval_override", "override_variable", "wait_started", "history_key")


class AdaptiveIntervalTrigger(PollTrigger):
    """Poll ``check`` at an adaptive ``cadence`` under a manual override; yield one report event.

    Takes every :class:`~triggers.poll_trigger.PollTrigger` argument but ``end_states`` (the
    worker saves what the wait learned), and:

    :param interval_override: seconds between checks regardless of the cadence (None: none).
    :param override_variable: key of the Variable an operator may set, while the sensor waits,
        to a number of seconds; it beats ``interval_override``. None reads no Variable.
    :param wait_started: epoch seconds when the sensor's wait began (its first check in the
        worker), for ``time_to_detection``; None uses the trigger's own start.
    :param history_key: the history Variable; when given, each attempt is saved to it as it
        happens (:class:`Checkpoint`), so a killed triggerer loses none.

    Yields one ``TriggerEvent`` with ``Report.to_event()``; ``detail["performance"]`` holds
    :class:`~triggers.adaptive.performance.Performance`, and ``detail["arrival_window"]`` the
    learned window when the cadence predicted one.
    """

    def __init__(
        self,
        *,
        interval_override: float | None = None,
        override_variable: str | None = None,
        wait_started: float | None = None,
        history_key: str | None = None,
        **poll: Any,
    ) -> None:
        if "end_states" in poll:
            raise TypeError("AdaptiveIntervalTrigger.__init__() got an unexpected keyword argument 'end_states'")
        # set first: the base constructor checks them (check_more_arguments) in its tolerating block
        self.interval_override = interval_override
        self.override_variable = override_variable
        self.wait_started = wait_started
        self.history_key = history_key
        super().__init__(**poll)

    def check_more_arguments(self) -> None:
        for name, value in self.more_given().items():
            with argument(name):
                if value is not None and name in ("interval_override", "wait_started"):
                    require_positive(name, value)
                elif value is not None and (not isinstance(value, str) or not value):
                    raise ConfigurationError(name, f"must be a Variable key or None, got {value!r}")

    def more_given(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in OWN_KWARGS}

    async def wait(self) -> Report:
        """Run the wait under the live override; return its report with performance."""
        return await self.wait_with(self.make_loop(), LiveOverride(self.override_variable, self.log))

    async def wait_with(self, loop: PollLoop, live: LiveOverride) -> Report:
        """Run ``loop`` under the override read through ``live``; return its report with performance."""
        await live.refresh()  # an override set before the deferral applies from the first delay
        checkpoint = None
        if self.history_key is not None:
            checkpoint = Checkpoint(HistoryStore(self.history_key, self.max_records, self.log))

        async def pause_then_refresh(seconds: float, wakeup: asyncio.Event | None) -> None:
            await loop.pause(seconds, wakeup)
            await live.refresh()  # so the next delay sees a value set during the sleep

        adapted = replace(
            loop,
            cadence=Overridden(loop.cadence, self.interval_override, live),
            pause=pause_then_refresh,
            observers=(*loop.observers, *([checkpoint] if checkpoint else [])),
        )
        try:
            report = await adapted.run()
        except BaseException:
            if checkpoint is not None:
                await checkpoint.abandon()  # no task of this trigger outlives it
            raise
        if checkpoint is not None:
            await checkpoint.drain()
        this_wait = report.history[-report.attempts :] if report.attempts else ()
        performance = summarize(
            this_wait,
            report.history,
            interval=report.interval,
            started=self.wait_started if self.wait_started is not None else report.started_at,
            detected=report.finished_at if report.outcome == "met" else None,
        )
        detail: dict[str, Any] = {**report.detail, "performance": performance.to_dict()}
        if isinstance(self.cadence, Learned) and (window := self.cadence.arrival_window()) is not None:
            detail["arrival_window"] = {"start": window[0], "end": window[1]}
        return replace(report, detail=detail)


class Checkpoint:
    """A poll loop observer saving each attempt to the history Variable, one write at a time.

    Without it a killed triggerer loses the wait's "not yet" attempts (the worker saves only the
    final report's). A save is a read-merge-write in which equal records collapse, so a rebuilt
    trigger saving the same attempts again changes nothing.
    """

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
