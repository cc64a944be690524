"""The manual interval override: an argument fixed at parse time, and a Variable read while waiting.

An operator who needs a file picked up urgently sets the override Variable to a number of
seconds; deleting it (or setting it empty) hands control back to the cadence. The Variable wins
over the ``interval_override`` argument, which wins over the cadence. An override is used as
given, outside ``[min_interval, max_interval]`` too: it is a deliberate human decision.

The Variable is read before the first check and again after every sleep, so a value set while
the sensor is deferred decides the delay after the next check: it takes effect within one
interval. Each change is logged once. Reading never fails the wait: an unreadable Variable
keeps the last value and logs a warning once. With Airflow's secrets cache on
(``[secrets] use_cache``) a read may be up to ``cache_ttl_seconds`` old, which delays an override
by as much.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from triggers.cadence import Cadence
from triggers.compat import call_sdk
from triggers.history import Attempt
from triggers.poll_loop import Pause
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
    """Return the Variable's raw value, or None when it does not exist.

    ``Variable.get`` is sync: it reaches the supervisor, and secrets backends it consults may do
    blocking I/O, so it runs off the loop through :func:`triggers.compat.call_sdk`.
    """
    from airflow.sdk import Variable

    value = await call_sdk(Variable.get, key, None)
    return None if value is None else str(value)


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


def refreshing(pause: Pause, live: LiveOverride) -> Pause:
    """Return ``pause`` followed by a re-read of the override, so the next delay sees a new value."""

    async def pause_then_refresh(seconds: float, wakeup: asyncio.Event | None) -> None:
        await pause(seconds, wakeup)
        await live.refresh()

    return pause_then_refresh
