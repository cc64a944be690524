"""Each condition is opened in its own attempt, concurrently: a slow or failing opening stays its own."""

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import ClassVar

from tests.support.checks import script
from triggers.cadence import Fixed
from triggers.checks import Check, Probe
from triggers.errors import PermanentError
from triggers.gather import AllOf, AnyOf, GatherTrigger
from triggers.outcomes import Met, Outcome

#: name -> what happened to an OpenedCheck: "open", "enter <task>", "exit <task>", "cancelled".
EVENTS: dict[str, list[str]] = {}
#: name -> what each opening does before yielding: a delay in seconds or an exception to raise.
OPENINGS: dict[str, list[float | BaseException]] = {}


@dataclass(frozen=True)
class OpenedCheck(Check):
    """Met once open; how opening goes is scripted in ``OPENINGS[name]`` (the last step repeats)."""

    kind: ClassVar[str] = "test_opened"
    name: str

    async def check(self) -> Outcome:
        return Met(self.name)

    @contextlib.asynccontextmanager
    async def opened(self) -> AsyncIterator[Probe]:
        events = EVENTS.setdefault(self.name, [])
        steps = OPENINGS[self.name]
        step = steps.pop(0) if len(steps) > 1 else steps[0]
        events.append("open")
        try:
            if isinstance(step, BaseException):
                raise step
            await asyncio.sleep(step)
        except asyncio.CancelledError:
            events.append("cancelled")
            raise
        task = id(asyncio.current_task())
        events.append(f"enter {task}")
        try:
            yield Probe(check=self.check)
        finally:
            events.append(f"exit {id(asyncio.current_task())}")


def opened(name: str, *steps: float | BaseException) -> OpenedCheck:
    OPENINGS[name] = list(steps)
    EVENTS[name] = []
    return OpenedCheck(name)


async def wait_for(check: Check, within: float = 10.0):
    trigger = GatherTrigger(check=check.to_dict(), cadence=Fixed(0.02).to_dict(), deadline=time.time() + within)
    return await trigger.make_loop().run()


async def test_a_slow_opening_does_not_delay_the_other_conditions() -> None:
    report = await wait_for(AnyOf({"slow": opened("slow-open", 60), "fast": script("fast-open", Met("fast"))}))
    assert report.value == {"fast": "fast"}
    assert report.detail["conditions"]["slow"]["attempts"] == 0
    assert EVENTS["slow-open"] == ["open", "cancelled"]  # closing the wait cancelled the opening


async def test_opening_counts_against_the_attempt_timeout_and_goes_on_in_the_background() -> None:
    gather = AllOf({"slow": opened("slow-to-open", 0.3)}, attempt_timeout=0.1, round_wait=0.5)
    report = await wait_for(gather)
    slow = report.detail["conditions"]["slow"]
    assert report.outcome == "met"
    assert slow["attempts"] >= 2
    assert EVENTS["slow-to-open"].count("open") == 1  # the timed-out attempt did not restart it


async def test_a_transient_opening_error_is_retried_and_a_permanent_one_fails_its_condition() -> None:
    flaky = opened("flaky-open", ConnectionRefusedError("refused"), 0)
    broken = opened("broken-open", PermanentError("connection 'api' is not defined"))
    report = await wait_for(dataclasses.replace(AnyOf({"flaky": flaky, "broken": broken}), round_wait=1))
    statuses = report.detail["conditions"]
    assert report.value == {"flaky": "flaky-open"}
    assert (statuses["flaky"]["attempts"], EVENTS["flaky-open"].count("open")) == (2, 2)
    assert (statuses["broken"]["state"], statuses["broken"]["reason"]) == ("failed", "connection 'api' is not defined")


async def test_all_mode_fails_at_once_on_a_permanent_opening_error() -> None:
    report = await wait_for(AllOf({"api": opened("denied", PermanentError("401")), "x": opened("ok", 0)}))
    assert (report.outcome, report.reason) == ("failed", "condition 'api' failed: 401")


async def test_each_condition_is_left_by_the_task_that_entered_it() -> None:
    await wait_for(AllOf({"a": opened("same-task", 0), "b": script("st-b", Met(1))}))
    entered, left = EVENTS["same-task"][1:]
    assert entered.split()[1] == left.split()[1]


#: name -> how an ExitRecordingCheck's context was left: "normal" or the exception's class name.
EXITS: dict[str, str] = {}


@dataclass(frozen=True)
class ExitRecordingCheck(Check):
    """Met at once; records how its context is left (with a wakeup to forward, or none)."""

    kind: ClassVar[str] = "test_exit_recording"
    name: str
    with_wakeup: bool = False

    async def check(self) -> Outcome:
        return Met(self.name)

    @contextlib.asynccontextmanager
    async def opened(self) -> AsyncIterator[Probe]:
        try:
            yield Probe(check=self.check, wakeup=asyncio.Event() if self.with_wakeup else None)
        except BaseException as error:
            EXITS[self.name] = type(error).__name__
            raise
        EXITS[self.name] = "normal"


async def test_a_finished_wait_leaves_each_conditions_context_normally_not_by_cancellation() -> None:
    """Context managers of checks (a transaction, a lease) see a plain exit when the wait ends."""
    await wait_for(AllOf({"a": ExitRecordingCheck("exit-plain"), "b": ExitRecordingCheck("exit-woken", True)}))
    assert EXITS == {"exit-plain": "normal", "exit-woken": "normal"}
