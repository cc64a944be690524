"""AllOf, AnyOf, AtLeast and Not: checks made of checks, so they nest (``(a & b) | ~c``).

Gathers stay frozen values that serialise to JSON: a wait's state lives in its :class:`Ledger`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from triggers.checks import Check, Probe, install_composer, outcome_of
from triggers.errors import ConfigurationError
from triggers.gather.rounds import Gathering
from triggers.gather.status import Ledger
from triggers.outcomes import Met, NotYet, Outcome
from triggers.prober import Log
from triggers.validation import require_bool, require_positive, require_whole

LOG = logging.getLogger("triggers.gather")
Named = Check | Mapping[str, Check]


def name_conditions(items: tuple[Named, ...]) -> dict[str, Check]:
    """Return the checks in ``items`` by name, unnamed ones by their description (``#2`` on a repeat);
    raise ConfigurationError ("conditions") on a name given twice or an item that is not a check."""
    named: dict[str, Check] = {}
    for item in items:
        for name, check in item.items() if isinstance(item, Mapping) else [(None, item)]:
            if not isinstance(check, Check):
                raise ConfigurationError("conditions", f"expected a Check, got {check!r:.100}")
            if name is None:
                name, copy = check.describe(), 2
                while name in named:
                    name, copy = f"{check.describe()} #{copy}", copy + 1
            elif not isinstance(name, str) or not name:
                raise ConfigurationError("conditions", f"condition names must be non-empty strings, got {name!r}")
            elif name in named:
                raise ConfigurationError("conditions", f"the name {name!r} is used twice")
            named[name] = check
    return named


@dataclass(frozen=True, init=False)
class Gather(Check):
    """Named conditions checked concurrently each round; met when ``need`` of them are ready at once.

    Conditions come by name (``AllOf({"logs": a, "catalog": b})``) or as checks named by their ``describe()``.
    :param timeouts: seconds from ``started_at`` within which each named condition must be ready.
    :param started_at: when the wait started (epoch seconds, carried in the trigger's kwargs, so a
        trigger rebuilt after a restart keeps its deadlines); None counts from the first round.
    :param latch: a met condition stays met (True) or is asked again every round (False).
    :param attempt_timeout: seconds one attempt of one condition may take.
    :param round_wait: seconds a round waits for slow attempts before it says "not yet" and lets
        them run on into the next round; None waits for every attempt (poke mode).
    """

    mode: ClassVar[str] = ""
    conditions: Mapping[str, Check] = field(hash=False)
    timeouts: Mapping[str, float] = field(hash=False)
    started_at: float | None = None
    latch: bool = True
    attempt_timeout: float | None = None
    round_wait: float | None = None

    def __init__(
        self,
        *checks: Named,
        conditions: Mapping[str, Check] | None = None,
        timeouts: Mapping[str, float] | None = None,
        started_at: float | None = None,
        latch: bool = True,
        attempt_timeout: float | None = None,
        round_wait: float | None = None,
    ) -> None:
        # ``conditions=`` by keyword too, so ``dataclasses.replace`` works on a frozen gather.
        named = name_conditions((*checks, conditions) if conditions is not None else checks)
        timeouts = dict(timeouts) if isinstance(timeouts, Mapping) else {} if timeouts is None else timeouts
        vars(self).update(conditions=named, timeouts=timeouts, started_at=started_at, latch=latch)
        vars(self).update(attempt_timeout=attempt_timeout, round_wait=round_wait)  # frozen: set here only
        if not named:
            raise ConfigurationError("conditions", "give at least one condition")
        if not isinstance(timeouts, Mapping):
            raise ConfigurationError("condition_timeouts", f"must map condition names to seconds, got {timeouts!r}")
        for name, seconds in timeouts.items():
            if name not in named:
                known = ", ".join(repr(n) for n in named)
                raise ConfigurationError("condition_timeouts", f"no condition named {name!r} (conditions: {known})")
            require_positive(f"condition_timeouts[{name!r}]", seconds)
        require_bool("latch", latch)
        for option in ("started_at", "attempt_timeout", "round_wait"):
            if getattr(self, option) is not None:
                require_positive(option, getattr(self, option))
        require_whole("min_ready", self.need, maximum=len(named))

    @property
    def need(self) -> int:
        """Return how many conditions must be ready at once."""
        return len(self.conditions)

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Gather:
        if isinstance(conditions := params.get("conditions"), Mapping):
            params["conditions"] = {
                name: Check.from_dict(c) if isinstance(c, Mapping) else c for name, c in conditions.items()
            }
        return cls(**params)

    def for_wait(self, *, started_at: float, round_wait: float | None, attempt_timeout: float | None) -> Gather:
        """Return this gather and every nested one set up for a wait that starts at ``started_at``.

        A gather's own ``round_wait`` and ``attempt_timeout`` are kept; ``started_at`` is replaced.
        """
        settings = {"started_at": started_at, "round_wait": round_wait, "attempt_timeout": attempt_timeout}
        return dataclasses.replace(
            self,
            conditions={name: _for_wait(check, settings) for name, check in self.conditions.items()},
            started_at=started_at,
            round_wait=self.round_wait or round_wait,  # each None or > 0
            attempt_timeout=self.attempt_timeout or attempt_timeout,
        )

    def describe(self) -> str:
        return f"{self.mode} of ({', '.join(self.conditions)})"

    def opened(self) -> contextlib.AbstractAsyncContextManager[Probe]:
        return self.session(Ledger())  # a one-off look: one round with a fresh ledger

    @contextlib.asynccontextmanager
    async def session(self, ledger: Ledger, *, log: Log = LOG, prefix: str = "") -> AsyncIterator[Probe]:
        """Yield a probe whose ``check()`` runs one round and whose ``wakeup`` a condition's change
        or deadline sets; ``ledger`` carries the statuses from round to round (and poke to poke)."""
        openers = {
            name: functools.partial(check.session, ledger.child(name), log=log, prefix=f"{prefix}{name}/")
            if isinstance(check, Gather)
            else check.opened
            for name, check in self.conditions.items()
        }
        gathering = Gathering(self, openers, ledger, log=log, prefix=prefix)
        try:
            yield Probe(check=gathering.round, wakeup=gathering.wakeup)
        finally:
            await gathering.close()


@dataclass(frozen=True, init=False)
class AllOf(Gather):
    """Met when every condition is ready; fails as soon as one fails or times out."""

    kind: ClassVar[str] = "all_of"
    mode: ClassVar[str] = "all"


@dataclass(frozen=True, init=False)
class AnyOf(Gather):
    """Met when one condition is ready; fails only when none of them can be any more."""

    kind: ClassVar[str] = "any_of"
    mode: ClassVar[str] = "any"
    need: ClassVar[int] = 1


@dataclass(frozen=True, init=False)
class AtLeast(Gather):
    """Met when ``count`` conditions are ready at once; fails when fewer can still be."""

    kind: ClassVar[str] = "at_least"
    mode: ClassVar[str] = "at least"
    count: int = 1

    def __init__(self, count: int, *checks: Named, **options: Any) -> None:
        vars(self)["count"] = count
        super().__init__(*checks, **options)

    @property
    def need(self) -> int:
        return self.count

    def describe(self) -> str:
        return f"at least {self.count} of ({', '.join(self.conditions)})"


@dataclass(frozen=True)
class Not(Check):
    """Met while ``condition`` cleanly says "not yet"; not met while it is met.

    A transient error says nothing about the condition, so it stays "not yet"; a failed condition
    fails the negation too. In a latching gather a met Not stays met like any condition.
    """

    kind: ClassVar[str] = "not"
    condition: Check

    def __post_init__(self) -> None:
        if not isinstance(self.condition, Check):
            raise ConfigurationError("conditions", f"Not takes a Check, got {self.condition!r:.100}")

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Not:
        if isinstance(condition := params.get("condition"), Mapping):
            params["condition"] = Check.from_dict(condition)
        return cls(**params)

    def describe(self) -> str:
        return f"not {self.condition.describe()}"

    def __invert__(self) -> Check:
        return self.condition

    @contextlib.asynccontextmanager
    async def opened(self) -> AsyncIterator[Probe]:
        async with self.condition.opened() as inner:

            async def negated() -> Outcome:
                return negate(await outcome_of(inner, None), self.condition.describe())

            yield Probe(check=negated, wakeup=inner.wakeup)


def negate(outcome: Outcome, what: str) -> Outcome:
    """Return the outcome of "not ``what``" given ``what``'s own outcome."""
    if isinstance(outcome, Met):
        return NotYet(f"{what} holds")
    if isinstance(outcome, NotYet) and outcome.error is None:
        return Met(True, detail={"negated": outcome.reason})
    return outcome


def _for_wait(check: Check, settings: dict[str, Any]) -> Check:
    if isinstance(check, Gather):
        return check.for_wait(**settings)
    return Not(_for_wait(check.condition, settings)) if isinstance(check, Not) else check


def _joined(kind: type[Gather], left: Check, right: Check) -> Gather:
    """Return ``kind(left, right)``; ``a & b & c`` extends a plain AllOf on the left into one AllOf of three."""
    if type(left) is kind and isinstance(left, Gather) and left == kind(left.conditions):  # nothing else set
        return kind(left.conditions, right)
    return kind(left, right)


install_composer(all_of=functools.partial(_joined, AllOf), any_of=functools.partial(_joined, AnyOf), negated=Not)
