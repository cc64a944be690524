"""Checks used only by tests: the boundary where a real source would be."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import ClassVar

from triggers.checks import Check, Probe
from triggers.outcomes import Met, NotYet, Outcome

#: name -> list of outcomes or exceptions, consumed in order; the last one repeats.
SCRIPTS: dict[str, list[Outcome | BaseException]] = {}
#: name -> event that a ScriptedCheck exposes as its probe's wakeup.
WAKEUPS: dict[str, asyncio.Event] = {}
#: name -> how many times the check ran.
CALLS: dict[str, int] = {}


@dataclass(frozen=True)
class ScriptedCheck(Check):
    """Answers from ``SCRIPTS[name]``; raises the exceptions found there."""

    kind: ClassVar[str] = "test_scripted"
    name: str

    async def check(self) -> Outcome:
        CALLS[self.name] = CALLS.get(self.name, 0) + 1
        script = SCRIPTS[self.name]
        step = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(step, BaseException):
            raise step
        return step

    def describe(self) -> str:
        return f"scripted {self.name}"

    @contextlib.asynccontextmanager
    async def opened(self) -> AsyncIterator[Probe]:
        yield Probe(check=self.check, wakeup=WAKEUPS.get(self.name))


def script(name: str, *steps: Outcome | BaseException) -> ScriptedCheck:
    """Register ``steps`` under ``name`` and return the check that plays them."""
    SCRIPTS[name] = list(steps)
    CALLS[name] = 0
    return ScriptedCheck(name)


@dataclass(frozen=True)
class NeverCheck(Check):
    """Never met: for runs that must end at their deadline."""

    kind: ClassVar[str] = "test_never"

    async def check(self) -> Outcome:
        return NotYet("never")


@dataclass(frozen=True)
class SlowCheck(Check):
    """Met after sleeping ``seconds`` without blocking the loop."""

    kind: ClassVar[str] = "test_slow"
    seconds: float

    async def check(self) -> Outcome:
        await asyncio.sleep(self.seconds)
        return Met(self.seconds)


@dataclass(frozen=True)
class BlockingCheck(Check):
    """Blocks the event loop with a sync sleep: what the contract test must catch."""

    kind: ClassVar[str] = "test_blocking"
    seconds: float

    async def check(self) -> Outcome:
        time.sleep(self.seconds)  # noqa: ASYNC251  # deliberately blocking
        return NotYet("blocked the loop")
