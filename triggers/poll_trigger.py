"""PollTrigger: the generic deferrable wait, and the base of every trigger this package ships.

Constructor arguments are keyword-only and JSON-native (no ``**kwargs`` catch-all: a misspelt
keyword fails with TypeError). ``serialize()`` returns them normalised, so serialise -> JSON ->
rebuild gives equal kwargs.

A constructor never raises anything but TypeError: Airflow 3.3's triggerer catches only that
when it rebuilds a trigger, and anything else stops every wait in that triggerer. Arguments it
cannot use (a check kind from another release, a callable the triggerer cannot import, a
malformed history) are remembered instead (:mod:`triggers.unusable`); ``run()`` then yields one
failed report naming the argument and the cause, and ``serialize()`` returns the kwargs as given.

Kwargs never hold a secret: Airflow keeps trigger kwargs in its metadata DB, Fernet-encrypted
only when ``[core] fernet_key`` is set and as plain text when it is not (a default local
install), and readable by anyone with that table and key; so checks carry connection ids and
resolve them in the triggerer.
"""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from airflow.triggers.base import BaseTaskEndEvent, BaseTrigger, TriggerEvent

from triggers.breaker import CircuitBreaker, validate_breaker
from triggers.cadence import shared_cadence
from triggers.checks import Check
from triggers.errors import ConfigurationError
from triggers.history import Attempt
from triggers.metrics import emit_attempt
from triggers.poll_loop import PollLoop
from triggers.progress import ProgressPublisher, publisher_for
from triggers.report import Report
from triggers.settle import DEFAULT_SETTLE, hold_until_settled
from triggers.spec import encode
from triggers.task_end import NO_END_STATES, event_for, validate_end_states
from triggers.unusable import argument, tolerating
from triggers.validation import require_number, require_positive, require_whole

# Unseeded triggers draw their jitter from one process-wide generator: the same draws from the
# system as a generator each, without 2.5 KB of Mersenne Twister state per waiting trigger.
_UNSEEDED = random.Random()


@dataclass(frozen=True, slots=True)
class _Options:
    """The arguments a wait shares with every wait of an equal sensor: one instance for all of them,
    not a slot each in every trigger (10,000 waits hold theirs for days)."""

    attempt_timeout: float | None
    failure_threshold: int | None
    recovery_timeout: float
    max_records: int
    settle: float
    end_states: Mapping[str, str]


#: Options by value (``end_states`` by identity: equal ones are one shared mapping); a bound, not
#: an eviction policy: past it, waits simply stop sharing.
_SHARED_OPTIONS: dict[tuple[Any, ...], _Options] = {}
_MAX_SHARED_OPTIONS = 4096


def _shared_options(options: _Options) -> _Options:
    o = options
    values = (o.attempt_timeout, o.failure_threshold, o.recovery_timeout, o.max_records, o.settle)
    # typed: 1 and 1.0 are equal keys, but serialise differently
    key = (*((type(v), v) for v in values), id(o.end_states))
    if len(_SHARED_OPTIONS) >= _MAX_SHARED_OPTIONS:
        return _SHARED_OPTIONS.get(key, options)
    return _SHARED_OPTIONS.setdefault(key, options)


class PollTrigger(BaseTrigger):
    """Poll ``check`` at ``cadence`` until met, failed or ``deadline``; yield one report event.

    :param check: a check as ``Check.to_dict()``.
    :param cadence: a cadence as ``Cadence.to_dict()``.
    :param deadline: absolute end of the wait, epoch seconds; None waits until Airflow's own
        deferral timeout cancels the trigger.
    :param attempt_timeout: seconds one check may take before it counts as a transient error;
        no attempt outlives ``deadline`` either way.
    :param failure_threshold: consecutive errors that open the circuit breaker (None: no breaker).
    :param recovery_timeout: seconds the breaker stays open before one half-open probe.
    :param max_records: how many attempts the report keeps.
    :param seed: seeds the jitter; None draws from the system.
    :param history: earlier attempts (``Attempt.to_dict()``) that cadences may learn from.
    :param deferred_at: epoch seconds when the sensor deferred; with ``settle``, the event is held
        until ``deferred_at + settle`` (see :mod:`triggers.settle`). None holds nothing.
    :param settle: seconds after ``deferred_at`` before the event is handed over, so that a
        wake-up right after the deferral does not trip Airflow's defer-resume race.
    :param end_states: report outcome -> task state ("success", "skipped", "failed") in which
        this trigger ends the task itself, with no worker (see :mod:`triggers.task_end`).

    Yields one ``TriggerEvent`` whose payload is ``Report.to_event()``, or the task-end event
    ``end_states`` names for the report's outcome. Raises nothing for
    source errors (they are outcomes); cancellation propagates. ``run()`` has no side effect
    that cannot be repeated, so a triggerer failover may run it again from the start.
    """

    #: Check classes this trigger accepts; concrete triggers narrow it.
    accepts: ClassVar[tuple[type[Check], ...]] = (Check,)
    #: Publishes what this wait is doing now (set by ``make_loop`` in a triggerer).
    progress: ProgressPublisher | None = None
    #: the kwargs exactly as given; set only on a trigger that cannot use them (``problem``)
    given: dict[str, Any]
    #: why this trigger cannot run ("argument: cause"), or None when it can (set only when it cannot)
    problem: str | None = None

    def __init__(
        self,
        *,
        check: Mapping[str, Any],
        cadence: Mapping[str, Any],
        deadline: float | None = None,
        attempt_timeout: float | None = None,
        failure_threshold: int | None = None,
        recovery_timeout: float = 300.0,
        max_records: int = 20,
        seed: int | None = None,
        history: Sequence[Mapping[str, Any]] | None = None,
        deferred_at: float | None = None,
        settle: float = DEFAULT_SETTLE,
        end_states: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # BaseTrigger.__init__ is untyped
        # the kwargs exactly as given, kept (as ``self.given``) only when this trigger cannot use
        # them, to serialise them back: a usable trigger waiting for days holds what it parsed
        given: dict[str, Any] = {
            "check": check,
            "cadence": cadence,
            "deadline": deadline,
            "attempt_timeout": attempt_timeout,
            "failure_threshold": failure_threshold,
            "recovery_timeout": recovery_timeout,
            "max_records": max_records,
            "seed": seed,
            "history": history,
            "deferred_at": deferred_at,
            "settle": settle,
            **({"end_states": end_states} if end_states else {}),
        }
        checked_end_states = NO_END_STATES
        with tolerating(self):
            with argument("check"):
                self.check = Check.from_dict(check)
                if not isinstance(self.check, self.accepts):
                    names = ", ".join(c.kind or c.__name__ for c in self.accepts)
                    raise ConfigurationError("check", f"{type(self).__name__} takes {names}, got {self.check.kind!r}")
            with argument("cadence"):
                self.cadence = shared_cadence(cadence)  # equal cadences of many waits: one instance
            with argument("deadline"):
                if deadline is not None:
                    require_positive("deadline", deadline)
            with argument("attempt_timeout"):
                if attempt_timeout is not None:
                    require_positive("attempt_timeout", attempt_timeout)
            with argument("failure_threshold"):
                validate_breaker(failure_threshold, recovery_timeout)
            with argument("max_records"):
                require_whole("max_records", max_records)
            with argument("seed"):
                if seed is not None:
                    require_whole("seed", seed, minimum=None)
            with argument("history"):
                self.history = tuple(Attempt.from_dict(dict(a)) for a in history or ())
            with argument("settle"):
                require_number("settle", settle, "[0, inf)")
            with argument("deferred_at"):
                if deferred_at is not None:
                    require_number("deferred_at", deferred_at, "[0, inf)")
            with argument("end_states"):
                checked_end_states = validate_end_states(end_states)
            self.check_more_arguments()
        if self.problem is not None:
            self.given = {**given, **self.more_given()}
        self.deadline = deadline
        self.seed = seed
        self.deferred_at = deferred_at
        options = _Options(
            attempt_timeout, failure_threshold, recovery_timeout, max_records, settle, checked_end_states
        )
        # unusable values may not even hash: only a usable trigger's options are shared
        self._options = options if self.problem is not None else _shared_options(options)

    @property
    def attempt_timeout(self) -> float | None:
        return self._options.attempt_timeout

    @property
    def failure_threshold(self) -> int | None:
        return self._options.failure_threshold

    @property
    def recovery_timeout(self) -> float:
        return self._options.recovery_timeout

    @property
    def max_records(self) -> int:
        return self._options.max_records

    @property
    def settle(self) -> float:
        return self._options.settle

    @property
    def end_states(self) -> Mapping[str, str]:
        return self._options.end_states

    def check_more_arguments(self) -> None:
        """Check a subclass's own arguments (set before this constructor ran); raise what ``argument()`` wraps."""

    def more_given(self) -> dict[str, Any]:
        """Return a subclass's own arguments as given: serialised after the base's (JSON-native)."""
        return {}

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Return the classpath and the JSON-native kwargs that rebuild this trigger (as given, when unusable)."""
        classpath = f"{type(self).__module__}.{type(self).__qualname__}"
        if self.problem is not None:
            return classpath, dict(self.given)
        return (
            classpath,
            {
                "check": self.check.to_dict(),
                "cadence": self.cadence.to_dict(),
                "deadline": self.deadline,
                "attempt_timeout": self.attempt_timeout,
                "failure_threshold": self.failure_threshold,
                "recovery_timeout": self.recovery_timeout,
                "max_records": self.max_records,
                "seed": self.seed,
                "history": encode([a.to_dict() for a in self.history]),
                "deferred_at": self.deferred_at,
                "settle": self.settle,
                # omitted when empty: kwargs stay those of a trigger that resumes on the worker
                **({"end_states": dict(self.end_states)} if self.end_states else {}),
                **self.more_given(),
            },
        )

    def make_loop(self) -> PollLoop:
        """Return the poll loop this trigger runs; concrete triggers may adjust it."""
        breaker = None
        if self.failure_threshold is not None:
            breaker = CircuitBreaker(self.failure_threshold, self.recovery_timeout)
        self.progress = publisher_for(self, breaker)  # None outside a triggerer's task instance
        return PollLoop(
            check=self.check,
            cadence=self.cadence,
            deadline=self.deadline,
            attempt_timeout=self.attempt_timeout,
            breaker=breaker,
            max_records=self.max_records,
            history=self.history,
            rng=_UNSEEDED if self.seed is None else random.Random(self.seed),
            log=self.log,
            observers=(emit_attempt(self.check.kind), *([self.progress] if self.progress else [])),
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Yield one event: the wait's report (or the task-end event ``end_states`` names for it),
        or a failed report when the kwargs are unusable."""
        if self.problem is not None:
            self.log.error("%s", self.problem)
            now = time.time()
            yield TriggerEvent(Report("failed", reason=self.problem, started_at=now, finished_at=now).to_event())
            return
        report = await self.wait()
        event = event_for(report, self.end_states, self.log)
        if not isinstance(event, BaseTaskEndEvent):
            # only a resume on a worker can lose the defer-resume race (see triggers.settle)
            await hold_until_settled(self.deferred_at, self.settle, not_after=self.deadline)
        yield event

    def wait(self) -> Awaitable[Report]:
        """Return the wait, run to its end by awaiting it, and its report; concrete triggers may add to it."""
        return self.make_loop().run()

    async def cleanup(self) -> None:
        """Delete this wait's progress Variable (the dashboard's "now"); never raises."""
        if self.progress is not None:
            await self.progress.retire()
