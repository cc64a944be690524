"""HealthEventTrigger: one event per health transition of an HTTP endpoint (down, then up), never one per poll.

Health is :class:`~triggers.http.check.HttpCheck`'s judgement: met is healthy; "not yet" or
failed (a 503, a refused connection, a timeout, a wrong body) is unhealthy. A transition counts
once ``confirmations`` looks in a row agree, so one dropped request does not announce an outage.
The first look of a watcher that remembers nothing is its baseline (no event); after that the
last announced health is remembered with the emitted keys, so a watcher rebuilt after a restart
announces only a health that differs from it (an outage that began while no triggerer ran is
announced once; one that began and ended unseen is not).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

from airflow.triggers.base import BaseEventTrigger

from triggers.checks import Check, outcome_of
from triggers.events.base import DEFAULT_REMEMBER_AFTER, Change, EventWatcher
from triggers.http.check import HttpCheck
from triggers.outcomes import Met
from triggers.validation import require_positive, require_whole

UP, DOWN = "up", "down"


class HealthEventTrigger(EventWatcher, BaseEventTrigger):
    """Yield ``{"key", "url", "transition": "down"|"up", "at", "reason"}`` once per health transition.

    :param check: an :class:`HttpCheck` (or its ``to_dict()``).
    :param interval: seconds between requests.
    :param confirmations: looks in a row that must agree before a transition counts.
    :param remember_after: seconds after an event before it is written to the memory.
    :param attempt_timeout: seconds one request may take (beyond it: unhealthy).
    """

    check_class = HttpCheck
    check: HttpCheck
    source_kwargs = ("check", "interval", "attempt_timeout")

    def __init__(
        self,
        *,
        check: Mapping[str, Any] | Check,
        interval: float = 10.0,
        confirmations: int = 2,
        remember_after: float = DEFAULT_REMEMBER_AFTER,
        attempt_timeout: float = 30.0,
    ) -> None:
        super().__init__(
            {
                "check": check,
                "interval": interval,
                "confirmations": confirmations,
                "remember_after": remember_after,
                "attempt_timeout": attempt_timeout,
            }
        )

    def build(self) -> None:
        self.confirmations = require_whole("confirmations", self.kwargs["confirmations"])
        require_positive("attempt_timeout", self.kwargs["attempt_timeout"])
        self.health: str | None = None  # the announced health; None until the memory is read
        self.streak: list[tuple[str, float, str]] = []  # looks disagreeing with it: (health, at, reason)

    async def observations(self) -> AsyncIterator[Any]:
        timeout = float(self.kwargs["attempt_timeout"])
        async with self.check.opened() as probe:

            async def look() -> tuple[float, bool, str]:
                at = time.time()
                outcome = await outcome_of(probe, timeout)  # never raises: errors are unhealthy outcomes
                return at, isinstance(outcome, Met), "" if isinstance(outcome, Met) else str(outcome.reason)

            async for observation in self.looking(look):
                yield observation

    def changes(self, observation: Any) -> list[Change]:
        at, healthy, reason = observation
        seen = UP if healthy else DOWN
        if self.health is None:
            self.health = self.memory.mark if self.memory.mark in (UP, DOWN) else None
        if self.health is None:  # nothing remembered: this look is the baseline, announced to nobody
            self.health = seen
            return [Change(None, None, mark=seen, with_mark=True)]
        if seen == self.health:
            self.streak.clear()
            return []
        self.streak.append((seen, at, reason))
        if len(self.streak) < self.confirmations:
            return []
        _, since, why = self.streak[0]
        self.streak.clear()
        self.health = seen
        key = f"{self.check.url}|{seen}|{since:.3f}"
        payload = {"key": key, "url": self.check.url, "transition": seen, "at": since, "reason": why}
        return [Change(key, payload, mark=seen, with_mark=True)]
