"""Not: a condition met while another is not.

Inside a latching gather a met Not stays met, like any condition, even if its inner condition
holds later; give the gather ``latch=False`` to have it asked again every round.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from triggers.checks import Check, Probe, outcome_of
from triggers.errors import ConfigurationError
from triggers.outcomes import Met, NotYet, Outcome


@dataclass(frozen=True)
class Not(Check):
    """Met while ``condition`` cleanly says "not yet"; not met while it is met.

    A transient error says nothing about the condition, so it stays "not yet"; a failed
    condition fails the negation too (it may be a bug, and "never" is no answer to wait on).
    """

    kind: ClassVar[str] = "not"
    condition: Check

    def __post_init__(self) -> None:
        if not isinstance(self.condition, Check):
            raise ConfigurationError("conditions", f"Not takes a Check, got {self.condition!r:.100}")

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Not:
        condition = params.pop("condition", None)
        if isinstance(condition, Mapping):
            params["condition"] = Check.from_dict(condition)
        return cls(**params)

    def describe(self) -> str:
        return f"not {self.condition.describe()}"

    def __invert__(self) -> Check:
        return self.condition

    async def check(self) -> Outcome:
        async with self.opened() as probe:
            return await probe.check()

    @contextlib.asynccontextmanager
    async def opened(self) -> AsyncIterator[Probe]:
        async with self.condition.opened() as inner:

            async def negated() -> Outcome:
                return negate(await outcome_of(inner, None), self.condition.describe())

            yield Probe(check=negated, wakeup=inner.wakeup)


def negate(outcome: Outcome, what: str) -> Outcome:
    """Return the outcome of "not" ``what`` given ``what``'s own outcome."""
    if isinstance(outcome, Met):
        return NotYet(f"{what} holds")
    if isinstance(outcome, NotYet) and outcome.error is None:
        return Met(True, detail={"negated": outcome.reason})
    return outcome
