"""DeferrableSensor: one check, three ways to wait (poke, reschedule, deferred).

A subclass says which check its arguments describe (``build_check``) and, if it likes, which
cadence to poll at (``build_cadence``). This base validates at DAG parse time, pokes through the
check, defers to the subclass's trigger, and maps the trigger's report to a return value (the
XCom) or the right Airflow exception.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, ClassVar, NoReturn

from airflow.sdk import BaseSensorOperator, PokeReturnValue

from sensors.defaults import resolve_deferrable
from sensors.ending import end_states, start_trigger_args
from sensors.poke_state import Pokes, airflow_backoff
from sensors.templating import standing_in, whole_numbers
from sensors.worker_loop import run_sync
from triggers.breaker import validate_breaker
from triggers.cadence import Backoff, Cadence
from triggers.checks import Check
from triggers.compat import AirflowFailException, AirflowSensorTimeout, AirflowSkipException
from triggers.errors import ConfigurationError
from triggers.history import run_of
from triggers.outcomes import Failed, Met
from triggers.poll_trigger import PollTrigger
from triggers.prober import Prober
from triggers.report import REPORT_XCOM_KEY as REPORT_XCOM_KEY  # its public home; triggers push it too
from triggers.report import Report
from triggers.settle import DEFAULT_SETTLE
from triggers.validation import require_number, require_positive, require_whole

#: The trigger ends the wait at ``timeout`` (its absolute deadline) with a report; Airflow's deferral
#: timeout comes this much later as a backstop. At the same instant the two raced, and when Airflow
#: won the task failed with no report and no reason. 15 s is the scheduler's default check interval.
TIMEOUT_BACKSTOP_GRACE = 15.0

#: Seconds one check may take by default. Above the HTTP sensor's 30 s request timeout and the
#: ~15 s a fresh Airflow 3.3 triggerer takes for its first connection lookup, so a slow answer is
#: not cut; short enough that a hung mount or function costs a minute per attempt, not the whole
#: wait. Every attempt is also cut at the sensor's deadline, whatever this says.
DEFAULT_ATTEMPT_TIMEOUT = 60.0


class DeferrableSensor(BaseSensorOperator):
    """Base of this library's sensors.

    :param deferrable: wait in the triggerer instead of poking from a worker. Default: True,
        unless the deployment sets ``[operators] default_deferrable`` (then that).
    :param failure_threshold: consecutive errors that open the circuit breaker; None disables it.
    :param recovery_timeout: seconds the breaker stays open before one half-open probe.
    :param attempt_timeout: seconds one check may take before it counts as a transient error
        (default :data:`DEFAULT_ATTEMPT_TIMEOUT`; None: only the deadline bounds it), never past
        ``timeout``. A sync function hanging in a thread is abandoned, not killed.
    :param backoff_factor: growth of the delay per consecutive error (1 disables backoff).
    :param backoff_cap: the longest delay between two checks, in seconds.
    :param backoff_jitter: fraction of each delay drawn at random, so sensors do not retry in step.
    :param max_attempt_records: attempts kept in the report.
    :param settle: seconds after the deferral before the trigger hands its event to Airflow
        (default 30). A wait met at once otherwise resumes before the scheduler has seen the
        worker exit on ``defer()``, and Airflow 3.3 then fails the task (see
        :mod:`triggers.settle`); 0 turns the hold off. Waits that end later are not delayed.
    :param start_from_trigger: begin the wait in the triggerer, with no worker at all (Airflow's
        ``start_from_trigger``); needs arguments that are not templated, and a sensor that
        supports it (``supports_start_from_trigger``).
    :param end_in_triggerer: where a met wait ends (see :mod:`sensors.ending`). None (default):
        in the triggerer only when there is no return value to hand downstream
        (``do_xcom_push=False``); True: in the triggerer anyway (Airflow 3.3.2 then hands a
        downstream task the value as JSON text); False: always on a worker.
    """

    trigger_class: ClassVar[type[PollTrigger]] = PollTrigger
    template_fields: Sequence[str] = ()
    #: A valid value for each template field, validated in its place while it is still a template.
    template_stand_ins: ClassVar[Mapping[str, Any]] = {}
    #: Template fields whose rendered whole-number text becomes an int (Jinja renders text).
    integer_fields: ClassVar[frozenset[str]] = frozenset()
    #: The trigger may end the task itself (no worker resumes) when nothing must run after the wait.
    can_end_in_triggerer: ClassVar[bool] = True
    #: The check can be built when the DAG is parsed (no worker state, no wait-start stamp).
    supports_start_from_trigger: ClassVar[bool] = True

    def __init__(
        self,
        *,
        deferrable: bool | None = None,
        failure_threshold: int | None = None,
        recovery_timeout: float = 300.0,
        attempt_timeout: float | None = DEFAULT_ATTEMPT_TIMEOUT,
        backoff_factor: float = 2.0,
        backoff_cap: float | None = None,
        backoff_jitter: float = 0.1,
        max_attempt_records: int = 20,
        settle: float = DEFAULT_SETTLE,
        start_from_trigger: bool = False,
        end_in_triggerer: bool | None = None,
        **kwargs: Any,
    ) -> None:
        backoff_cap = airflow_backoff(kwargs, backoff_cap)
        if (interval := kwargs.get("poke_interval")) is not None and not isinstance(interval, timedelta):
            require_positive("poke_interval", interval)  # before Airflow's check, whose message names no argument
        super().__init__(**kwargs)
        deferrable = resolve_deferrable(deferrable, self)
        validate_breaker(failure_threshold, recovery_timeout)
        if attempt_timeout is not None:
            require_positive("attempt_timeout", attempt_timeout)
        require_whole("max_attempt_records", max_attempt_records)
        require_positive("poke_interval", self.poke_interval)
        require_number("settle", settle, "[0, inf)")
        self.settle = settle
        self.deferrable = deferrable
        self.failure_threshold = failure_threshold
        self.recovery_timeout = recovery_timeout
        self.attempt_timeout = attempt_timeout
        self.backoff_factor = backoff_factor
        self.backoff_cap = backoff_cap if backoff_cap is not None else max(300.0, float(self.poke_interval))
        self.backoff_jitter = backoff_jitter
        self.max_attempt_records = max_attempt_records
        self._prober: Prober | None = None
        self._poking: Pokes | None = None
        self.start_from_trigger = start_from_trigger
        if end_in_triggerer not in (None, True, False):
            raise ConfigurationError("end_in_triggerer", f"must be True, False or None, got {end_in_triggerer!r}")
        self.end_in_triggerer = end_in_triggerer

    def validate(self) -> None:
        """Build the check and cadence once so bad arguments fail when the DAG is parsed.

        Subclasses call this at the end of their ``__init__``. A template field that is still a
        template (Jinja text, an XComArg) is judged by its stand-in; the rendered value is
        judged in :meth:`render_template_fields`.
        """
        with standing_in(self, self.template_stand_ins, tuple(self.template_fields)) as templated:
            self.check_arguments()
        if self.start_from_trigger:
            self.start_trigger_args = start_trigger_args(self, templated)

    def check_arguments(self) -> None:
        """Raise ConfigurationError naming an invalid argument; subclasses add their own rules."""
        self.build_check()
        self.build_cadence()

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        """Render the template fields, then validate them: an invalid rendered value fails at once.

        Airflow's task runner calls this before ``execute()`` (and again before
        ``execute_complete()``). Raises AirflowFailException (no retry) naming the argument and
        its rendered value: waiting would only end in the timeout.
        """
        was_template = {name: getattr(self, name, None) for name in self.template_fields}
        super().render_template_fields(context, jinja_env)
        self.render_nested(context, jinja_env)
        for name in self.integer_fields:
            setattr(self, name, whole_numbers(getattr(self, name)))
        try:
            self.check_arguments()
        except ConfigurationError as error:
            rendered = {name: getattr(self, name, None) for name in was_template}
            named = error.argument if error.argument in rendered else None
            shown = [named] if named else [n for n in rendered if rendered[n] != was_template[n]] or list(rendered)
            values = ", ".join(f"{name}={rendered[name]!r}" for name in shown)
            raise AirflowFailException(f"invalid rendered argument {error} (rendered: {values})") from error

    def render_nested(self, context: Any, jinja_env: Any) -> None:
        """Render templates inside arguments Airflow does not descend into (frozen checks); none here."""

    # What a subclass provides -------------------------------------------------------------

    def build_check(self) -> Check:
        """Return the check these arguments describe; raise ConfigurationError when invalid."""
        raise NotImplementedError

    def build_cadence(self) -> Cadence:
        """Return how often to check: ``poke_interval``, backing off on consecutive errors."""
        return Backoff(
            base=float(self.poke_interval),
            factor=self.backoff_factor,
            cap=self.backoff_cap,
            jitter=self.backoff_jitter,
        )

    def poke_check(self, context: Any) -> Check:
        """Return the check pokes use (the same as the trigger's unless a subclass stamps it)."""
        return self.build_check()

    def trigger_kwargs(self, context: Any) -> dict[str, Any]:
        """Return extra keyword arguments for ``trigger_class`` (none by default)."""
        return {}

    def on_report(self, context: Any, report: Report) -> None:
        """Called with every final report before it becomes a return value or an exception."""

    # Poke and reschedule modes ------------------------------------------------------------

    def poke(self, context: Any) -> bool | PokeReturnValue:
        """Check once as the trigger would; return False (not yet) or the value; raise AirflowFailException."""
        if self._poking is None:
            self._poking = self.start_pokes(context)
            self._prober = self._poking.prober
        outcome = self._poking.poke(context)
        if isinstance(outcome, Failed):
            raise AirflowFailException(outcome.reason)
        if isinstance(outcome, Met):
            return PokeReturnValue(is_done=True, xcom_value=outcome.value)
        return False

    def start_pokes(self, context: Any) -> Pokes:
        """Return the state the pokes of this wait share (a subclass may seed it)."""
        return Pokes.for_sensor(self, context)

    def _get_next_poke_interval(self, started_at: Any, run_duration: Any, poke_count: int) -> float:
        """Return the interval the last poke decided (cadence, Retry-After, breaker), cut at the timeout."""
        decided = self._poking.interval if self._poking is not None else None
        interval = float(self.poke_interval) if decided is None else decided
        return max(min(interval, float(self.timeout) - float(run_duration())), 0.001)

    # Deferrable mode -----------------------------------------------------------------------

    def execute(self, context: Any) -> Any:
        """Check once in the worker; if not met, defer to the trigger for up to ``timeout`` seconds."""
        if not self.deferrable:
            try:
                return super().execute(context)
            finally:
                if self._poking is not None:
                    self._poking.close()
        check = self.build_check()
        started = time.time()
        prober = Prober(check, self.attempt_timeout, log=self.log, deadline=started + float(self.timeout))
        first = run_sync(prober.once())
        outcome = check.escalate(first, run_of(first.error, None, 0))  # the first of a run, counted as a loop does
        if isinstance(outcome, (Met, Failed)):
            return self.complete(
                context, Report.ending(outcome, attempts=1, started_at=started, finished_at=time.time())
            )
        trigger = self.build_trigger(check, started + float(self.timeout), context, deferred_at=time.time())
        self.log.info("Deferring %s for up to %.0fs", check.describe(), self.timeout)
        self.defer(
            trigger=trigger,
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout + TIMEOUT_BACKSTOP_GRACE),
        )

    def build_trigger(
        self, check: Check, deadline: float | None, context: Any, deferred_at: float | None = None
    ) -> PollTrigger:
        """Return the trigger waiting on ``check`` until ``deadline``, told where it may end the task.

        ``deferred_at`` (epoch seconds of the worker's deferral) lets the trigger hold an early
        event for ``settle`` seconds; None (``start_from_trigger``: no worker deferred) holds nothing.
        """
        ends: dict[str, Any] = {"end_states": end_states(self, context)}
        return self.trigger_class(
            check=check.to_dict(),
            cadence=self.build_cadence().to_dict(),
            deadline=deadline,
            attempt_timeout=self.attempt_timeout,
            failure_threshold=self.failure_threshold,
            recovery_timeout=self.recovery_timeout,
            max_records=self.max_attempt_records,
            deferred_at=deferred_at,
            settle=self.settle,
            **self.trigger_kwargs(context),
            **(ends if ends["end_states"] else {}),
        )

    def execute_complete(self, context: Any, event: Any = None) -> Any:
        """Resume after the trigger: return the met value, or raise the report's failure."""
        try:
            report = Report.from_event(event)
        except ValueError as error:
            self._fail(f"the trigger sent an event this sensor cannot read: {error}")
        return self.complete(context, report)

    def complete(self, context: Any, report: Report) -> Any:
        """Push the report to XCom, log a summary, and return the value or raise."""
        self.on_report(context, report)
        context["ti"].xcom_push(key=REPORT_XCOM_KEY, value=report.to_event())
        self.log.info(
            "Wait ended: %s after %d attempts in %.1fs%s",
            report.outcome,
            report.attempts,
            report.waited,
            f" ({report.reason})" if report.reason else "",
        )
        if report.outcome == "met":
            return report.value
        self._fail(report.reason, timed_out=report.outcome == "timeout")

    def _fail(self, reason: str, *, timed_out: bool = False) -> NoReturn:
        if self.soft_fail or self.never_fail:
            raise AirflowSkipException(f"Skipping ({'timeout' if timed_out else 'failure'}): {reason}")
        if timed_out:
            raise AirflowSensorTimeout(f"Sensor timed out: {reason}")
        raise AirflowFailException(reason)
