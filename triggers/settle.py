"""Hold a trigger's event until its task's deferral has settled (Airflow's defer-resume race).

When a sensor defers, its worker exits and the executor reports "success" for that try, which the
scheduler reads on a later loop. Airflow 3.3.2 fails the task ("state mismatch") when the trigger
has fired and the resumed task is already queued or running before the scheduler reads that stale
report (apache/airflow 66374, 67287, 71580, 72716): a condition true at once (an inotify or NOTIFY
wake-up, an API that recovered meanwhile) fires within a second or two. So the sensor stamps
``deferred_at`` in the trigger's kwargs and the trigger hands over no event before ``deferred_at +
settle`` (never longer than ``settle`` whatever the clocks say, never past the wait's deadline);
a wait ending later is not delayed. An event that ends the task in the triggerer needs no hold:
the stale report then meets a finished task, which the scheduler leaves alone.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

#: Seconds after the deferral before an event is handed over. Under heavy load on a 2-core machine
#: (benchmarks.fast_wakeups, 200 sensors; benchmarks/RESULTS.md) the scheduler read a worker's exit
#: 6 s after the deferral at the median, 28 s at p90, up to 44 s: a 5 s hold would have lost 43 of 55
#: races, 20 s 7, 30 s none. Lower it where the scheduler keeps up; raise it where it lags more.
DEFAULT_SETTLE = 30.0


def settle_delay(deferred_at: float | None, settle: float, now: float, not_after: float | None = None) -> float:
    """Return the seconds to hold an event at ``now``: what is left of ``settle`` after ``deferred_at``.

    0 without ``deferred_at``; never past ``not_after`` (the wait's deadline: Airflow's own timeout
    follows it closely, and an event held beyond it would lose to that backstop).
    """
    if deferred_at is None:
        return 0.0
    delay = min(settle, max(0.0, deferred_at + settle - now))
    return delay if not_after is None else min(delay, max(0.0, not_after - now))


async def hold_until_settled(
    deferred_at: float | None,
    settle: float,
    *,
    not_after: float | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> float:
    """Wait until the deferral at ``deferred_at`` is ``settle`` seconds old (or ``not_after``); return the wait."""
    delay = settle_delay(deferred_at, settle, clock(), not_after)
    if delay > 0:
        await sleep(delay)
    return delay
