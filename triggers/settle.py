"""Hold a trigger's event until its task's deferral has settled (Airflow's defer-resume race).

When a sensor defers, its worker process exits and the executor reports "success" for that try;
the scheduler reads that report on a later loop. Airflow 3.3.2 fails the task ("state mismatch",
then "TI was not in a state where it could be marked as running") when the trigger has fired
and the scheduler has already queued the resumed task before it reads the stale report: its
guard covers only a resumed task still ``scheduled`` (apache/airflow 66374, 67287, 71580, 72716;
the queued and running variants are open). A condition that is true when the sensor defers (an
inotify or NOTIFY wake-up, an API that recovered meanwhile) makes the trigger fire within a
second or two, which is how it happens.

So the sensor stamps ``deferred_at`` (epoch seconds) in the trigger's kwargs, and the trigger
hands over no event before ``deferred_at + settle``: by then the worker has exited and the
scheduler has read its report. A wait that ends later than that is not delayed at all; one that
ends at once resumes at most ``settle`` seconds later. A trigger rebuilt after a triggerer
failover holds only what is left, and a clock skew between worker and triggerer cannot make it
hold longer than ``settle``. No event is held past the wait's deadline (Airflow's own timeout
follows it by ``TIMEOUT_BACKSTOP_GRACE``). An event that ends the task in the triggerer
(``TaskSuccessEvent``) needs no hold: the stale report then meets a finished task, which the
scheduler leaves alone.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

#: Seconds after the deferral before an event is handed over. On this project's 2-core machine
#: under heavy load (benchmarks.fast_wakeups, 200 sensors; benchmarks/RESULTS.md), the workers had
#: exited 1 s after deferring at the median, but the scheduler read that exit 6 s after the
#: deferral at the median, 28 s at p90 and up to 44 s, one scheduler loop being that slow;
#: replaying those timings, a 5 s hold would have left 43 of 55 lost races, 20 s 7 and 30 s none.
#: Lower it where the scheduler keeps up; raise it where it lags more.
DEFAULT_SETTLE = 30.0


def settle_delay(deferred_at: float | None, settle: float, now: float, not_after: float | None = None) -> float:
    """Return the seconds to hold an event at ``now``: what is left of ``settle`` after ``deferred_at``.

    0 without ``deferred_at``; never more than ``settle``, whatever the clocks say; never past
    ``not_after`` (the wait's deadline: Airflow's own timeout follows it closely, and an event held
    beyond it would lose to that backstop).
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
    """Wait until the deferral at ``deferred_at`` is ``settle`` seconds old (or ``not_after``); return the seconds held.

    Cancellation (the task was cleared meanwhile) propagates.
    """
    delay = settle_delay(deferred_at, settle, clock(), not_after)
    if delay > 0:
        await sleep(delay)
    return delay
