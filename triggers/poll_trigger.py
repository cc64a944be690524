"""PollTrigger: the generic deferrable wait, and the base of every trigger this package ships.

Constructor arguments are keyword-only and JSON-native (no ``**kwargs`` catch-all: a misspelt
keyword fails with TypeError). ``serialize()`` returns them normalised, so serialise -> JSON ->
rebuild gives equal kwargs.

A constructor never raises anything but TypeError: Airflow 3.3's triggerer catches only that
when it rebuilds a trigger, and anything else stops every wait in that triggerer. Arguments it
cannot use (a check kind from another release, a callable the triggerer cannot import, a
malformed history) are remembered instead (:mod:`triggers.unusable`); ``run()`` then yields one
failed report naming the argument and the cause, and ``serialize()`` returns the kwargs as given.

Kwargs never hold a secret: Airflow 3.3 stores trigger kwargs unencrypted, so checks
carry connection ids and resolve them in the triggerer.
"""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, ClassVar

from airflow.triggers.base import BaseTrigger, TriggerEvent

from triggers.breaker import CircuitBreaker, validate_breaker
from triggers.cadence import Cadence, require_positive
from triggers.checks import Check
from triggers.errors import ConfigurationError
from triggers.history import Attempt
from triggers.metrics import emit_attempt
from triggers.poll_loop import PollLoop
from triggers.report import Report
from triggers.spec import encode
from triggers.unusable import argument, tolerating

# Unseeded triggers draw their jitter from one process-wide generator: the same draws from the
# system as a generator each, without 2.5 KB of Mersenne Twister state per waiting trigger.
_UNSEEDED = random.Random()


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

    Yields one ``TriggerEvent`` whose payload is ``Report.to_event()``. Raises nothing for
    source errors (they are outcomes); cancellation propagates. ``run()`` has no side effect
    that cannot be repeated, so a triggerer failover may run it again from the start.
    """

    #: Check classes this trigger accepts; concrete triggers narrow it.
    accepts: ClassVar[tuple[type[Check], ...]] = (Check,)

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
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # BaseTrigger.__init__ is untyped
        #: the kwargs exactly as given, serialised back when this trigger cannot use them
        self.given: dict[str, Any] = {
            "check": check,
            "cadence": cadence,
            "deadline": deadline,
            "attempt_timeout": attempt_timeout,
            "failure_threshold": failure_threshold,
            "recovery_timeout": recovery_timeout,
            "max_records": max_records,
            "seed": seed,
            "history": history,
        }
        #: why this trigger cannot run ("argument: cause"), or None when it can
        self.problem: str | None = None
        with tolerating(self):
            with argument("check"):
                self.check = Check.from_dict(check)
                if not isinstance(self.check, self.accepts):
                    names = ", ".join(c.kind or c.__name__ for c in self.accepts)
                    raise ConfigurationError("check", f"{type(self).__name__} takes {names}, got {self.check.kind!r}")
            with argument("cadence"):
                self.cadence = Cadence.from_dict(cadence)
            with argument("deadline"):
                if deadline is not None:
                    require_positive("deadline", deadline)
            with argument("attempt_timeout"):
                if attempt_timeout is not None:
                    require_positive("attempt_timeout", attempt_timeout)
            with argument("failure_threshold"):
                validate_breaker(failure_threshold, recovery_timeout)
            with argument("max_records"):
                if isinstance(max_records, bool) or not isinstance(max_records, int) or max_records < 1:
                    raise ConfigurationError("max_records", f"must be a whole number >= 1, got {max_records!r}")
            with argument("seed"):
                if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
                    raise ConfigurationError("seed", f"must be a whole number or None, got {seed!r}")
            with argument("history"):
                self.history = tuple(Attempt.from_dict(dict(a)) for a in history or ())
        self.deadline = deadline
        self.attempt_timeout = attempt_timeout
        self.failure_threshold = failure_threshold
        self.recovery_timeout = recovery_timeout
        self.max_records = max_records
        self.seed = seed

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
            },
        )

    def make_loop(self) -> PollLoop:
        """Return the poll loop this trigger runs; concrete triggers may adjust it."""
        breaker = None
        if self.failure_threshold is not None:
            breaker = CircuitBreaker(self.failure_threshold, self.recovery_timeout)
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
            observers=(emit_attempt(self.check.kind),),
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Yield one event: the wait's report, or a failed one when the kwargs are unusable."""
        if self.problem is not None:
            self.log.error("%s", self.problem)
            now = time.time()
            yield TriggerEvent(Report("failed", reason=self.problem, started_at=now, finished_at=now).to_event())
            return
        report = await self.wait()
        yield TriggerEvent(report.to_event())

    async def wait(self) -> Report:
        """Run the wait to its end and return its report; concrete triggers may add to it."""
        return await self.make_loop().run()
