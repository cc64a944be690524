"""The manual interval override: an argument fixed at parse time, and a Variable read while waiting.

The Variable (seconds; deleted or empty: none) beats the ``interval_override`` argument, which
beats the cadence; either is used as given, outside ``[min_interval, max_interval]`` too (a human
decision). It is read before the first check and after every sleep, so it takes effect within one
interval (plus ``[secrets] cache_ttl_seconds`` with Airflow's secrets cache on). Each change is
logged once; an unreadable Variable keeps the last value and warns once, never failing the wait.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from triggers.adaptive.store import AirflowVariables
from triggers.cadence import Cadence
from triggers.compat import call_sdk
from triggers.history import Attempt
from triggers.prober import Log

VariableReader = Callable[[str], Awaitable[str | None]]


class InvalidOverride(ValueError):
    """The override Variable holds something that is not a positive number of seconds."""


def parse_override(raw: Any) -> float | None:
    """Return the override in seconds, or None when unset; raise InvalidOverride on anything else."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        seconds = float(raw)
    except (TypeError, ValueError):
        raise InvalidOverride(f"not a number of seconds: {raw!r:.50}") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise InvalidOverride(f"must be a number of seconds > 0, got {raw!r:.50}")
    return seconds


async def read_variable(key: str) -> str | None:
    """Return the Variable's raw value, or None when it does not exist (a sync SDK call, run off the loop)."""
    return await call_sdk(AirflowVariables().get, key)


class LiveOverride:
    """The override Variable's current value, refreshed on demand; changes are logged once."""

    def __init__(self, key: str | None, log: Log, read: VariableReader = read_variable) -> None:
        self.key = key
        self.log = log
        self.read = read
        self.value: float | None = None
        self._problem: str | None = None

    async def refresh(self) -> float | None:
        """Re-read the Variable; return the override now in effect (None: none)."""
        if self.key is None:
            return None
        try:
            seconds = parse_override(await self.read(self.key))
        except asyncio.CancelledError:
            raise
        except InvalidOverride as error:
            self._warn(f"override Variable {self.key!r} ignored: {error}")
            seconds = None
        except Exception as error:  # a transient API error must not end the wait
            self._warn(
                f"override Variable {self.key!r} unreadable ({type(error).__name__}: {error}); keeping the last value"
            )
            return self.value
        else:
            self._problem = None
        if seconds != self.value:
            if seconds is None:
                self.log.info("Interval override from Variable %r removed: the cadence decides again", self.key)
            else:
                self.log.warning(
                    "Interval override from Variable %r: checking every %gs from now on", self.key, seconds
                )
            self.value = seconds
        return self.value

    def _warn(self, problem: str) -> None:
        if problem != self._problem:
            self.log.warning("%s", problem)
            self._problem = problem


class Overridden(Cadence):
    """A cadence under the override: the live Variable, else the fixed argument, else ``inner``.

    Not a serialisable spec: it lives only inside one wait.
    """

    def __init__(self, inner: Cadence, fixed: float | None = None, live: LiveOverride | None = None) -> None:
        self.inner = inner
        self.fixed = fixed
        self.live = live

    def next_delay(self, history: Sequence[Attempt], rng: random.Random) -> float:
        if self.live is not None and self.live.value is not None:
            return self.live.value
        return self.inner.next_delay(history, rng) if self.fixed is None else self.fixed
