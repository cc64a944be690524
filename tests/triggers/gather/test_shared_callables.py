"""Waits calling the same function with the same arguments share each call."""

import asyncio

import pytest

from sensors import MultiSourceReadinessSensor
from tests.triggers.gather import conditions
from triggers.cadence import Fixed
from triggers.errors import ConfigurationError
from triggers.gather import CallableCheck
from triggers.poll_loop import PollLoop
from triggers.shared_source import SOURCES

COUNTED = "tests.triggers.gather.conditions.counted_not_yet"


async def run_waits(checks: list[CallableCheck], seconds: float) -> list[PollLoop]:
    loops = [PollLoop(check=c, cadence=Fixed(0.1)) for c in checks]
    tasks = [asyncio.ensure_future(loop.run()) for loop in loops]
    await asyncio.sleep(seconds)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert SOURCES.live() == 0
    return loops


async def test_twenty_waits_on_one_call_share_each_call_and_each_records_every_answer() -> None:
    loops = await run_waits([CallableCheck(COUNTED, {"key": "shared"}) for _ in range(20)], 0.55)
    calls = conditions.CALLS.pop("shared")
    assert 4 <= calls <= 9, calls  # one per 0.1 s tick (alone: 20 per tick)
    assert all(loop.state.attempts >= calls - 1 for loop in loops)
    assert {r.outcome for loop in loops for r in loop.state.records} == {"not_yet"}


async def test_other_arguments_or_share_probe_false_call_on_their_own() -> None:
    checks = [CallableCheck(COUNTED, {"key": "a"}), CallableCheck(COUNTED, {"key": "b"})]
    checks += [CallableCheck(COUNTED, {"key": "alone"}, share_probe=False) for _ in range(3)]
    assert checks[0].source_key() != checks[1].source_key()
    await run_waits(checks, 0.35)
    a, b, alone = (conditions.CALLS.pop(key) for key in ("a", "b", "alone"))
    assert a >= 3
    assert b >= 3
    assert alone >= 3 * 3  # three waits, each its own calls


async def test_an_error_raised_by_the_shared_call_reaches_every_wait_classified() -> None:
    refusing = [CallableCheck("tests.triggers.gather.conditions.refused") for _ in range(5)]
    revoking = [CallableCheck("tests.triggers.gather.conditions.revoked") for _ in range(5)]
    loops = await run_waits(refusing + revoking, 0.3)
    assert {(r.outcome, r.error) for loop in loops[:5] for r in loop.state.records} == {
        ("not_yet", "ConnectionRefusedError")
    }
    assert {(r.outcome, r.error) for loop in loops[5:] for r in loop.state.records} == {("failed", "PermanentError")}


def test_the_sensor_passes_share_probe_to_its_function_conditions_and_names_a_bad_one() -> None:
    kept = CallableCheck(COUNTED, {"key": "x"})
    sensor = MultiSourceReadinessSensor(
        task_id="t", conditions={"f": COUNTED, "c": kept}, share_probe=False, deferrable=True
    )
    built = sensor.build_check()
    checks = dict(built.conditions)
    assert checks["f"].share_probe is False
    assert checks["c"] is kept  # a Check condition keeps its own setting
    with pytest.raises(ConfigurationError, match=r"^share_probe:"):
        MultiSourceReadinessSensor(task_id="t", conditions={"c": kept}, share_probe=1)
