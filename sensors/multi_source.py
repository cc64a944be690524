"""MultiSourceReadinessSensor: wait until all, any, or N of several data sources are ready.

Conditions are functions (the seed's ``Dict[str, Callable]``) or checks (declarative and
serialisable: files, HTTP fields, JSON dates, order status, gathers of them). Each round checks
the pending conditions concurrently; each condition's status (state, last value or error,
attempts, when it became ready, timed out) is logged when it changes and lands in the report
XCom's ``detail.conditions``. The return value (XCom) maps each ready condition to its value.

Deferred, functions must be importable by dotted path (see :mod:`triggers.callables`).
A lambda or a DAG-file function makes the sensor poke from a worker, with a warning when the
DAG is parsed, unless ``deferrable=True`` is given: then it is refused, saying how to fix it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from airflow.sdk import PokeReturnValue

from sensors.base import DeferrableSensor
from sensors.defaults import default_deferrable
from sensors.poke_state import Pokes
from sensors.templating import StandIn
from triggers.callables import InProcessCallable
from triggers.checks import Check
from triggers.errors import ConfigurationError
from triggers.gather import AllOf, AnyOf, AtLeast, CallableCheck, Gather, GatherTrigger, Ledger
from triggers.outcomes import NotYet
from triggers.report import Report
from triggers.validation import require_bool

Condition = Callable[..., Any] | Check | str

#: Seconds a deferred round waits for slow attempts before carrying them over to the next round.
MAX_ROUND_WAIT = 10.0


def condition_check(name: str, condition: Condition, *, deferrable: bool, share_probe: bool = True) -> Check:
    """Return the check for one named condition.

    A check is used as it is; a function (or dotted path) becomes a CallableCheck (sharing calls
    with ``share_probe``); in poke mode a function that is not importable runs as it is. Raises
    ConfigurationError naming the condition.
    """
    if isinstance(condition, Check):
        return condition
    if not isinstance(condition, str) and not callable(condition):
        raise ConfigurationError(
            f"conditions[{name!r}]", f"must be a function, a dotted path or a Check, got {type(condition).__name__}"
        )
    try:
        return dataclasses.replace(CallableCheck.of(condition, name=name), share_probe=share_probe)
    except ConfigurationError:
        if isinstance(condition, str) or deferrable:
            raise
        return InProcessCallable(condition)  # poke mode: it never leaves this worker


def _worker_only(conditions: Any) -> list[str]:
    """Return the names of the functions among ``conditions`` that the triggerer could not import."""
    if not isinstance(conditions, Mapping):
        return []
    names = []
    for name, condition in conditions.items():
        if callable(condition) and not isinstance(condition, Check):
            try:
                CallableCheck.of(condition, name=str(name))
            except ConfigurationError:
                names.append(str(name))
    return names


class MultiSourceReadinessSensor(DeferrableSensor):
    """Wait for several conditions; see the module docstring.

    :param conditions: condition name -> function (returning bool or (bool, value)), dotted
        path to one, or Check. Templated, including each Check's arguments (a CallableCheck's
        ``kwargs``, a path), as are ``condition_timeouts`` and ``min_ready``.
    :param require_all: wait for all conditions (True) or for any one (False).
    :param condition_timeouts: condition name -> seconds from the start of the wait within which
        it must be ready. In all-mode a condition that misses it fails the sensor at once; in
        any-mode (or N-of-M) the others go on until too few can still be ready.
    :param min_ready: wait for at least this many conditions (N of M); overrides ``require_all``.
    :param latch: a met condition stays met (default) or is checked again every round.
    :param share_probe: function conditions that waits in one process (a triggerer, or a
        worker's poke loop) call with the same arguments share each call; False calls them for
        this sensor alone (a function with side effects). A Check condition keeps its own.
    """

    trigger_class = GatherTrigger
    supports_start_from_trigger = False  # condition timeouts count from the wait's start, stamped on the worker
    template_fields: Sequence[str] = ("conditions", "condition_timeouts", "min_ready")
    template_stand_ins = {"condition_timeouts": StandIn(whole={}, leaf=60), "min_ready": 1}
    integer_fields = frozenset({"condition_timeouts", "min_ready"})

    def __init__(
        self,
        conditions: dict[str, Condition],
        require_all: bool = True,
        condition_timeouts: dict[str, int] | None = None,
        *,
        min_ready: int | None = None,
        latch: bool = True,
        share_probe: bool = True,
        **kwargs: Any,
    ) -> None:
        worker_only = _worker_only(conditions) if kwargs.get("deferrable") is None and default_deferrable() else []
        if worker_only:
            kwargs["deferrable"] = False  # the seed's plain callables work; an explicit deferrable=True refuses them
        super().__init__(**kwargs)
        if worker_only:
            self.log.warning(
                "%s pokes from a worker (deferrable=False): %s cannot travel to the triggerer. %s",
                self.task_id,
                ", ".join(f"conditions[{name!r}]" for name in worker_only),
                "Move them to module-level functions in an importable module to defer.",
            )
        if not isinstance(conditions, Mapping) or not conditions:
            raise ConfigurationError(
                "conditions", f"must be a non-empty dict of name -> condition, got {conditions!r:.100}"
            )
        require_bool("require_all", require_all)
        require_bool("share_probe", share_probe)
        self.conditions = dict(conditions)
        self.require_all = require_all
        self.condition_timeouts = {} if condition_timeouts is None else condition_timeouts
        self.min_ready = min_ready
        self.latch = latch
        self.share_probe = share_probe
        self._ledger: Ledger | None = None
        self.validate()

    def render_nested(self, context: Any, jinja_env: Any) -> None:
        """Render the templates in each Check condition's arguments (Airflow leaves frozen checks alone)."""
        self.conditions = {
            name: Check.from_dict(self.render_template(c.to_dict(), context, jinja_env)) if isinstance(c, Check) else c
            for name, c in self.conditions.items()
        }

    def build_check(self) -> Gather:
        """Return the gather of the conditions, stamped with the start of the wait (now)."""
        checks = {
            name: condition_check(name, c, deferrable=self.deferrable, share_probe=self.share_probe)
            for name, c in self.conditions.items()
        }
        # The gather checks the timeouts' shape (they may be templated, so not in ``__init__``).
        options: dict[str, Any] = {"timeouts": self.condition_timeouts, "latch": self.latch}
        if self.min_ready is not None:
            gather: Gather = AtLeast(self.min_ready, checks, **options)
        elif self.require_all:
            gather = AllOf(checks, **options)
        else:
            gather = AnyOf(checks, **options)
        return gather.for_wait(
            started_at=time.time(),
            # A deferred round waits for slow attempts at most a poll interval (and at most
            # MAX_ROUND_WAIT: the worker's first look holds a slot); the rest carry over to the
            # next round. A poke waits for every attempt, since attempts cannot outlive it.
            round_wait=min(float(self.poke_interval), MAX_ROUND_WAIT) if self.deferrable else None,
            attempt_timeout=self.attempt_timeout,
        )

    def poke_check(self, context: Any) -> Gather:
        """Return the gather stamped with the wait's start; a poke waits for every attempt."""
        gather = self.build_check()
        return gather.for_wait(
            started_at=self._wait_started(context), round_wait=None, attempt_timeout=self.attempt_timeout
        )

    def poke(self, context: Any) -> bool | PokeReturnValue:
        """One round per poke, paced and broken as the trigger's rounds; statuses (and latches) carry over.

        In reschedule mode the condition ledger travels with the poke state (:mod:`sensors.poke_state`).
        """
        if self._poking is None:
            self._poking = poking = Pokes.for_sensor(self, context)
            gather = poking.check
            assert isinstance(gather, Gather)
            ledger = self._ledger = restored_ledger((poking.state.extra or {}).get("ledger"), self.log)
            poking.opened = lambda: gather.session(ledger, log=self.log)
            poking.keeps = lambda: {"ledger": ledger.to_json()}
            poking.prober.attempt_timeout = None  # each condition has its own; the round waits for them
        assert self._ledger is not None
        begun = time.time()
        poking = self._poking
        outcome = poking.poke(context)
        if isinstance(outcome, NotYet):
            return False
        report = Report.ending(
            outcome, attempts=poking.state.attempts, started_at=self._ledger.started or begun, finished_at=time.time()
        )
        return PokeReturnValue(is_done=True, xcom_value=self.complete(context, report))

    def _wait_started(self, context: Any) -> float:
        """Return when this wait began: the first try's start in reschedule mode, else now.

        Each reschedule runs in a new process, so condition timeouts must count from the first.
        """
        if self.reschedule:
            first = context["ti"].get_first_reschedule_date(context)
            if first is not None:
                return float(first.timestamp())
        return time.time()


def restored_ledger(saved: Any, log: Any) -> Ledger:
    """Return the ledger a previous reschedule saved, or a new one (None or unreadable: logged)."""
    if saved is None:
        return Ledger()
    try:
        return Ledger.from_json(saved)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        log.warning(
            "Ignoring the saved condition ledger (%s: %s): asking every condition again", type(error).__name__, error
        )
        return Ledger()
