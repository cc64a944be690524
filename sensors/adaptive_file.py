"""AdaptiveFileSensor: wait for a partner's file at an interval learned from earlier runs (the seed's Task 4).

The interval follows the seed's rule (:class:`~triggers.adaptive.rule.Adaptive`) or, with
``cadence="learned"``, the arrival times of earlier runs (:class:`~triggers.adaptive.learned.Learned`).
What it learns lives in one Airflow Variable (:mod:`triggers.adaptive.store`), loaded by the worker
before the wait and saved when it ends. The override Variable, set to a number of seconds, forces
the interval while the sensor waits (:mod:`triggers.adaptive.override`). Files are judged by
:class:`~triggers.files.FileCheck`, with the shared inotify watcher waking the wait early.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from airflow.sdk import PokeReturnValue

from sensors.file_arrival import FileArrivalSensor
from sensors.poke_state import Pokes
from sensors.worker_loop import run_sync
from triggers.adaptive import Adaptive, AdaptiveIntervalTrigger, Learned, LiveOverride, Overridden
from triggers.adaptive.performance import Performance, emit_gauges, summarize
from triggers.adaptive.rule import last_interval
from triggers.adaptive.store import Arrival, HistoryStore, SensorHistory, VariableBackend
from triggers.cadence import decide
from triggers.errors import ConfigurationError
from triggers.history import Attempt
from triggers.outcomes import Met, OutcomeKind
from triggers.poll_trigger import PollTrigger
from triggers.report import Report
from triggers.validation import require_positive

#: XCom key of the wait's :class:`~triggers.adaptive.performance.Performance`.
PERFORMANCE_XCOM_KEY = "adaptive_performance"

CADENCES = ("adaptive", "learned")


class AdaptiveFileSensor(FileArrivalSensor):
    """Custom sensor with adaptive polling based on historical patterns.

    :param filepath: an absolute path or glob; templated.
    :param initial_interval: seconds between checks before anything was learned.
    :param min_interval: the shortest interval the cadence picks.
    :param max_interval: the longest interval the cadence picks.
    :param history_size: attempts the rule looks at (and the store keeps); also past arrivals kept.
    :param interval_override: seconds between checks regardless of the cadence (urgent cases).
    :param override_variable: Variable key an operator may set, while the sensor waits, to a
        number of seconds; it beats ``interval_override``. Default ``<history_key>.interval_override``.
    :param history_key: Variable key of the history; default ``adaptive_file_sensor.<dag_id>.<task_id>``.
        Tasks waiting on the same partner may share one. Templated, as are ``override_variable``,
        ``filepath`` and ``marker_suffix``.
    :param cadence: ``"adaptive"`` (the seed's rule) or ``"learned"`` (from past arrival times).

    Takes :class:`~sensors.file_arrival.FileArrivalSensor`'s file arguments (``max_age``,
    ``min_size``, ``stable_for``, ``marker_suffix``, ``watch``) and the base sensor's, except
    ``poke_interval`` (the cadence sets it). Returns (XCom) the FileCheck's value; pushes the
    wait's performance under ``adaptive_performance`` and sends it as gauges.
    """

    trigger_class: ClassVar[type[PollTrigger]] = AdaptiveIntervalTrigger
    can_end_in_triggerer = False  # the worker saves what this wait learned
    supports_start_from_trigger = False  # the worker loads the history first
    template_fields: Sequence[str] = (*FileArrivalSensor.template_fields, "history_key", "override_variable")
    template_stand_ins = {**FileArrivalSensor.template_stand_ins, "history_key": "k", "override_variable": "k"}
    #: Where the history lives; tests swap this boundary, DAGs keep Airflow's Variables.
    variables: VariableBackend | None = None

    def __init__(
        self,
        filepath: str,
        initial_interval: int = 60,
        min_interval: int = 30,
        max_interval: int = 300,
        history_size: int = 20,
        *,
        interval_override: float | None = None,
        override_variable: str | None = None,
        history_key: str | None = None,
        cadence: Literal["adaptive", "learned"] = "adaptive",
        **kwargs: Any,
    ) -> None:
        for taken in ("poke_interval", "max_attempt_records"):
            if taken in kwargs:
                raise ConfigurationError(taken, "is set by AdaptiveFileSensor (from initial_interval and history_size)")
        for unused in ("backoff_factor", "backoff_cap", "backoff_jitter"):
            if unused in kwargs:  # silently ignoring it would let a DAG author think it applies
                raise ConfigurationError(unused, "does not apply: the adaptive cadence sets every interval")
        self.initial_interval = initial_interval
        self.min_interval = min_interval
        self.max_interval = max_interval
        self.history_size = history_size
        self.interval_override = interval_override
        self.override_variable = override_variable
        self.history_key = history_key
        self.cadence = cadence
        self._history: list[Attempt] = []  # what earlier runs learned (and record_attempt adds, before a poke)
        self._learned = SensorHistory()
        self._anchor: float | None = None
        self._wait_started: float | None = None
        self._live: LiveOverride | None = None
        # Validated before the base turns initial_interval into poke_interval.
        if cadence not in CADENCES:
            raise ConfigurationError("cadence", f"must be one of {CADENCES}, got {cadence!r}")
        if interval_override is not None:
            require_positive("interval_override", interval_override)
        self.build_cadence()
        super().__init__(filepath=filepath, poke_interval=initial_interval, max_attempt_records=history_size, **kwargs)

    def check_arguments(self) -> None:
        """Check the Variable keys too (they may be templated, so not before the base's __init__)."""
        for argument in ("override_variable", "history_key"):
            value = getattr(self, argument)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ConfigurationError(argument, f"must be a Variable key or None, got {value!r}")
        super().check_arguments()

    # The seed's API ----------------------------------------------------------------------------

    def calculate_adaptive_interval(self) -> int:
        """Calculate next polling interval based on historical data.

        Returns whole seconds (at least 1), as the seed's signature does; the wait itself uses
        the exact value. An override in effect wins over the cadence. It is the interval the
        pokes and the trigger decide, by the same rule (:func:`triggers.cadence.decide`).
        """
        return max(1, round(decide(self.overridden_cadence(), self.history, None, random.Random(0))))

    def record_attempt(self, success: bool, duration: float) -> None:
        """Record polling attempt for learning: ``success`` means the file was found."""
        self.history.append(
            Attempt(at=time.time() - duration, duration=duration, outcome="met" if success else "not_yet")
        )
        del self.history[: -self.history_size]

    @property
    def history(self) -> list[Attempt]:
        """The attempts the cadence reads, oldest first: earlier runs', then this wait's pokes."""
        return self._poking.state.records if self._poking is not None else self._history

    # Keys, cadence, trigger ---------------------------------------------------------------------

    def history_variable(self) -> str:
        """Return the Variable key of this sensor's history."""
        return self.history_key or f"adaptive_file_sensor.{self.dag_id}.{self.task_id}"

    def override_key(self) -> str:
        """Return the Variable key an operator sets to override the interval."""
        return self.override_variable or f"{self.history_variable()}.interval_override"

    def build_cadence(self) -> Adaptive:
        """Return the seed's rule, or the learned cadence over the loaded arrivals."""
        bounds = {
            "initial_interval": self.initial_interval,
            "min_interval": self.min_interval,
            "max_interval": self.max_interval,
            "history_size": self.history_size,
        }
        if self.cadence == "learned":
            return Learned(**bounds, anchor=self._anchor, arrivals=self._learned.offsets())
        return Adaptive(**bounds)

    def overridden_cadence(self) -> Overridden:
        """Return the cadence under the override (the argument, and the Variable once read)."""
        return Overridden(self.build_cadence(), self.interval_override, self._live)

    def trigger_kwargs(self, context: Any) -> dict[str, Any]:
        return {
            "history": [a.to_dict() for a in self.history],
            "interval_override": self.interval_override,
            "override_variable": self.override_key(),
            "wait_started": self._wait_started,
            "history_key": self.history_variable(),
        }

    def _store(self) -> HistoryStore:
        return HistoryStore(self.history_variable(), self.history_size, self.log, self.variables)

    # The wait ----------------------------------------------------------------------------------

    def execute(self, context: Any) -> Any:
        """Load what earlier runs learned, then wait (deferred, or poking and saving at the end)."""
        self._wait_started = time.time()
        self._anchor = anchor_of(context, self._wait_started)
        self._learned = self._store().load()
        self._history = list(self._learned.attempts)
        if self.deferrable:
            return super().execute(context)
        try:
            return super().execute(context)
        finally:
            self._finish_pokes(context)

    def poke(self, context: Any) -> bool | PokeReturnValue:
        """Check once; ``poke_interval`` becomes the interval the cadence decided after it.

        The override Variable is read before each check, as the trigger reads it after each sleep.
        """
        if self._live is None:
            self._live = LiveOverride(self.override_key(), self.log)
        run_sync(self._live.refresh())
        result = super().poke(context)
        if self._poking is not None and self._poking.interval is not None:
            self.poke_interval = self._poking.interval
        return result

    def start_pokes(self, context: Any) -> Pokes:
        """Pace the pokes by the overridden cadence, starting from what earlier runs learned."""
        return Pokes.for_sensor(self, context, cadence=self.overridden_cadence(), records=self._history)

    def on_report(self, context: Any, report: Report) -> None:
        """Save the history (and the arrival), push and send the wait's performance."""
        wait: tuple[Attempt, ...]
        if report.history:
            attempts, wait = report.history, report.history[-report.attempts :] if report.attempts else ()
        else:  # met or failed at the first check, in the worker: no trigger ran
            outcome: OutcomeKind = "met" if report.outcome == "met" else "failed"
            first = Attempt(report.started_at, round(report.waited, 6), outcome)
            attempts, wait = (*self._history, first), (first,)
        found = report.finished_at if report.outcome == "met" else None
        performance = Performance.from_detail(report.detail) or summarize(
            wait,
            attempts[-self.history_size :],
            interval=report.interval,
            started=self._wait_started or report.started_at,
            detected=found,
        )
        self._finish(context, attempts, performance, report.value, found)

    def _finish_pokes(self, context: Any) -> None:
        made = self._poking.state.attempts if self._poking is not None else 0
        wait = self.history[-made:] if made else []  # as the trigger's report counts them
        found = wait[-1].at + wait[-1].duration if wait and wait[-1].succeeded else None
        last = self._prober.last if self._prober is not None else None
        performance = summarize(
            wait,
            self.history,
            interval=last_interval(self.history),
            started=self._wait_started,
            detected=found,
        )
        self._finish(context, self.history, performance, last.value if isinstance(last, Met) else None, found)

    def _finish(
        self, context: Any, attempts: Sequence[Attempt], performance: Performance, value: Any, found: float | None
    ) -> None:
        arrivals: tuple[Arrival, ...] = ()
        if found is not None:
            anchor = anchor_of(context, self._wait_started or found)
            arrivals = (Arrival(anchor, round(arrived_at(value, found) - anchor, 3)),)
        saved = self._store().save(SensorHistory(tuple(attempts), arrivals))
        context["ti"].xcom_push(key=PERFORMANCE_XCOM_KEY, value=performance.to_dict())
        emit_gauges(performance, {"dag_id": self.dag_id, "task_id": self.task_id})
        self.log.info(
            "Adaptive wait: %d attempts, success rate %s, interval now %ss, detected after %ss; history %s %r",
            performance.attempts,
            performance.success_rate,
            performance.current_interval,
            performance.time_to_detection,
            "saved to" if saved is not None else "NOT saved to",
            self.history_variable(),
        )


def anchor_of(context: Mapping[str, Any], fallback: float) -> float:
    """Return the epoch seconds arrivals are measured from.

    That is the run's logical date, else its ``run_after`` (a manual run may have no logical
    date), else midnight UTC of the day of ``fallback`` (then offsets are times of day).
    """
    moment = context.get("logical_date") or getattr(context.get("dag_run"), "run_after", None)
    if isinstance(moment, datetime):
        return moment.timestamp()
    day = datetime.fromtimestamp(fallback, tz=UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day.timestamp()


def arrived_at(value: Any, detected: float) -> float:
    """Return when the file arrived: the earliest mtime among the met files, never after ``detected``."""
    files = value.get("files") if isinstance(value, dict) else None
    mtimes = [
        float(f["mtime"]) for f in files or () if isinstance(f, dict) and isinstance(f.get("mtime"), (int, float))
    ]
    return min([*mtimes, detected])
