"""Poke and reschedule mode: each poke checks, records and paces through the wait's :class:`WaitState`.

A deferred wait keeps that state in its trigger's loop. Poke mode keeps it on the operator across
pokes. Reschedule mode runs each poke in a new worker process with a new operator, so it is
saved after every poke in Airflow 3.3's task state store (``context["task_state_store"]``),
which workers reach through their supervisor and which is scoped to this task instance: a retry
(a new task instance) starts afresh, as a new deferral does. Airflow 3.1 and 3.2 have no task
state store; there each reschedule starts with no backoff and a closed breaker, and the sensor
says so in its log.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from sensors.worker_loop import close_at_exit, run_sync
from triggers.breaker import CircuitBreaker
from triggers.cadence import Cadence
from triggers.checks import Check
from triggers.errors import ConfigurationError
from triggers.history import Attempt
from triggers.outcomes import NotYet, Outcome
from triggers.prober import Opener, Prober
from triggers.validation import require_positive
from triggers.wait_state import WaitState

#: The task state store key; one per task instance, so no sensor-specific part is needed.
STATE_KEY = "airflow_deferrable_sensors.poke_state"


class Pokes:
    """One wait's pokes in poke or reschedule mode: check through the prober, record, pace, persist."""

    def __init__(self, check: Check, cadence: Cadence, prober: Prober, state: WaitState, *, reschedule: bool) -> None:
        self.check, self.cadence, self.prober, self.state = check, cadence, prober, state
        self.reschedule = reschedule
        #: opens the probe of each poke; None: ``check.opened`` (see :meth:`Prober.once`)
        self.opened: Opener | None = None
        #: returns what the sensor keeps besides, read after each poke into ``state.extra``
        self.keeps: Callable[[], dict[str, Any]] | None = None
        self.rng = random.Random()
        #: seconds until the next poke, decided by the last one (None before the first)
        self.interval: float | None = None
        #: poke mode: what holds the probe open from the first poke to :meth:`close`
        self._held: contextlib.AsyncExitStack | None = None

    @classmethod
    def for_sensor(
        cls, sensor: Any, context: Any, *, cadence: Cadence | None = None, records: Sequence[Attempt] = ()
    ) -> Pokes:
        """Return the pokes of a DeferrableSensor: its check, cadence and breaker, with saved state loaded.

        ``cadence`` replaces the sensor's ``build_cadence()``; ``records`` are earlier attempts the
        cadence starts from (a learned history), as a trigger's ``history`` argument is.
        """
        threshold = sensor.failure_threshold
        breaker = None if threshold is None else CircuitBreaker(threshold, sensor.recovery_timeout)
        limit = sensor.max_attempt_records
        state = WaitState(limit, breaker, records=list(records)[-limit:])
        check = sensor.poke_check(context)
        prober = Prober(check, sensor.attempt_timeout, breaker, sensor.log, transitions=state.transitions)
        pokes = cls(check, cadence or sensor.build_cadence(), prober, state, reschedule=sensor.reschedule)
        pokes.load(context)
        return pokes

    def load(self, context: Any) -> None:
        """Reschedule mode: take the state the previous poke saved (nothing in poke mode)."""
        if not self.reschedule:
            return
        store = task_state_store(context)
        if store is None:
            self.prober.log.info(
                "Reschedule mode on an Airflow without a task state store (3.3+): "
                "backoff and circuit breaker start afresh at every reschedule"
            )
            return
        try:
            saved = store.get(STATE_KEY, None)
        except Exception as error:  # the wait goes on without its history rather than failing
            self.prober.log.warning("Poke state unreadable (%s: %s): starting afresh", type(error).__name__, error)
            return
        if saved is not None and not self.state.restore(saved):
            self.prober.log.warning("Ignoring unreadable poke state %r: starting afresh", STATE_KEY)
        self.prober.count = self.state.attempts  # logs number attempts across reschedules

    def poke(self, context: Any) -> Outcome:
        """Check once (unless the breaker is open), pace the next poke, save the state; return the outcome.

        In poke mode the probe (its sessions, pools, watchers) is opened by the first poke and held
        until :meth:`close`, as a trigger holds it for its whole wait; a reschedule's process ends
        with its poke, so there each poke opens and closes its own.
        """
        if not self.reschedule and self._held is None:
            run_sync(self._hold())
        made, begun = self.prober.count, time.monotonic()
        outcome = run_sync(self.prober.once(self.opened))
        checked = self.prober.count > made
        if checked:  # a run of one error may end the wait, counted in the state as the trigger counts it
            outcome = self.check.escalate(outcome, self.state.repeats_with(outcome))
        self.after(outcome, time.monotonic() - begun if checked else None)
        self.state.attempts = self.prober.count
        self.save(context)
        return outcome

    async def _hold(self) -> None:
        held = contextlib.AsyncExitStack()
        probe = await held.enter_async_context((self.opened or self.check.opened)())
        self._held = held
        close_at_exit(held)  # a sensor poked without execute() never calls close()
        self.opened = lambda: contextlib.nullcontext(probe)

    def close(self) -> None:
        """Close what the pokes hold open (poke mode); never raises."""
        held, self._held = self._held, None
        if held is not None:
            try:
                run_sync(held.aclose())
            except Exception as error:  # the wait's answer stands; a failed close is only logged
                self.prober.log.warning("Closing the check after the pokes failed: %s: %s", type(error).__name__, error)

    def after(self, outcome: Outcome, duration: float | None) -> None:
        """Record a poke's outcome (``duration`` None: the breaker skipped the check) and pace the next."""
        now = time.time()
        if duration is None:
            self.interval = max(self.state.until_probe(now), 0.001)
            return
        self.state.record(outcome, duration, now)
        if isinstance(outcome, NotYet):  # paced as the trigger's loop paces, held back by an open breaker
            self.interval = max(self.state.pace(outcome, self.cadence, self.rng), self.state.until_probe(now))

    def save(self, context: Any) -> None:
        """Reschedule mode: keep the state for the next poke's new process."""
        store = task_state_store(context) if self.reschedule else None
        if store is not None:
            if self.keeps is not None:
                self.state.extra = self.keeps()
            try:
                store.set(STATE_KEY, self.state.to_json())
            except Exception as error:  # the next reschedule starts afresh; this poke's answer stands
                self.prober.log.warning("Poke state not saved (%s: %s)", type(error).__name__, error)


def airflow_backoff(kwargs: dict[str, Any], backoff_cap: float | None) -> float | None:
    """Map Airflow's ``max_wait`` onto ``backoff_cap`` (popping it); refuse ``exponential_backoff``.

    Returns the backoff cap to use. Raises ConfigurationError naming the argument.
    """
    if kwargs.get("exponential_backoff"):
        raise ConfigurationError(
            "exponential_backoff",
            "is Airflow's own backoff, which stretches the interval after every 'not yet'; this library's "
            "sensors back off on errors in every mode (backoff_factor, backoff_cap): remove exponential_backoff",
        )
    max_wait = kwargs.pop("max_wait", None)
    if max_wait is None:
        return backoff_cap
    if backoff_cap is not None:
        raise ConfigurationError("max_wait", "is the same limit as backoff_cap: give one of them")
    seconds = max_wait.total_seconds() if isinstance(max_wait, timedelta) else max_wait
    return require_positive("max_wait", seconds)


def task_state_store(context: Any) -> Any | None:
    """Return the task state store of this task instance (Airflow 3.3+), or None."""
    try:
        return context.get("task_state_store")
    except AttributeError:
        return None
