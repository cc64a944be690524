"""The hold that keeps a wake-up right after the deferral from tripping Airflow's defer-resume race."""

import asyncio
import time

import pytest
from airflow.triggers.base import BaseTaskEndEvent

from tests.support.checks import script
from tests.support.fake_time import FakeTime
from triggers.adaptive import Adaptive, AdaptiveIntervalTrigger
from triggers.cadence import Fixed
from triggers.outcomes import Failed, Met, NotYet
from triggers.poll_trigger import PollTrigger
from triggers.settle import DEFAULT_SETTLE, hold_until_settled, settle_delay


@pytest.mark.parametrize(
    ("deferred_at", "now", "expected"),
    [
        pytest.param(None, 100.0, 0.0, id="no-deferral-time-holds-nothing"),
        pytest.param(100.0, 100.0, 5.0, id="met-at-the-deferral-holds-all"),
        pytest.param(100.0, 101.5, 3.5, id="holds-what-is-left"),
        pytest.param(100.0, 105.0, 0.0, id="settled-exactly"),
        pytest.param(100.0, 400.0, 0.0, id="rebuilt-long-after-failover"),
        pytest.param(200.0, 100.0, 5.0, id="worker-clock-ahead-holds-at-most-settle"),
    ],
)
def test_the_hold_is_what_is_left_of_settle_after_the_deferral(deferred_at, now, expected) -> None:
    assert settle_delay(deferred_at, 5.0, now) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(100.0, 3.0, id="met-before-the-deadline-holds-until-it"),
        pytest.param(103.0, 0.0, id="timeout-at-the-deadline-is-not-held"),
        pytest.param(104.0, 0.0, id="past-the-deadline-is-not-held"),
    ],
)
def test_no_event_is_held_past_the_deadline(now, expected) -> None:
    # a 3 s wait with a 5 s settle: Airflow's own timeout would win over a report held to 105 s
    assert settle_delay(100.0, 5.0, now, not_after=103.0) == expected


async def test_hold_sleeps_once_for_what_is_left_and_returns_it() -> None:
    clock = FakeTime(start=1000.0)
    held = await hold_until_settled(998.0, 5.0, clock=clock.clock, sleep=clock.sleep)
    assert (held, clock.sleeps) == (3.0, [3.0])
    assert await hold_until_settled(998.0, 5.0, clock=clock.clock, sleep=clock.sleep) == 0.0
    assert clock.sleeps == [3.0]  # settled: no second sleep


@pytest.mark.parametrize(
    "outcome", [pytest.param(Met({"id": 1}), id="met"), pytest.param(Failed("order cancelled"), id="failed")]
)
async def test_a_trigger_met_at_once_hands_over_its_event_only_once_settled(outcome) -> None:
    deferred_at = time.time()
    trigger = PollTrigger(
        check=script("settle-at-once", outcome).to_dict(),
        cadence=Fixed(1).to_dict(),
        deferred_at=deferred_at,
        settle=0.3,
    )
    event = await anext(trigger.run())
    assert time.time() >= deferred_at + 0.3
    assert event.payload["outcome"] == outcome.kind


async def test_a_timeout_report_is_handed_over_at_the_deadline_not_held_to_settle() -> None:
    deferred_at = time.time()
    trigger = PollTrigger(
        check=script("settle-timeout", NotYet("pending")).to_dict(),
        cadence=Fixed(0.05).to_dict(),
        deadline=deferred_at + 0.2,
        deferred_at=deferred_at,
        settle=60,
    )
    event = await asyncio.wait_for(anext(trigger.run()), 10)  # held to settle, it would take 60 s
    assert event.payload["outcome"] == "timeout"


async def test_the_adaptive_trigger_holds_its_event_too() -> None:
    deferred_at = time.time()
    trigger = AdaptiveIntervalTrigger(
        check=script("settle-adaptive", Met(True)).to_dict(),
        cadence=Adaptive(initial_interval=1, min_interval=1, max_interval=5).to_dict(),
        deferred_at=deferred_at,
        settle=0.3,
    )
    event = await anext(trigger.run())
    assert time.time() >= deferred_at + 0.3
    assert event.payload["outcome"] == "met"


def test_deferred_at_and_settle_round_trip_through_the_kwargs() -> None:
    trigger = PollTrigger(check=script("settle-kw", Met(1)).to_dict(), cadence=Fixed(1).to_dict(), deferred_at=12.5)
    _, kwargs = trigger.serialize()
    assert (kwargs["deferred_at"], kwargs["settle"]) == (12.5, DEFAULT_SETTLE)
    assert PollTrigger(**kwargs).serialize()[1] == kwargs


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"settle": -1}, id="negative"),
        pytest.param({"settle": True}, id="bool"),
        pytest.param({"settle": "5"}, id="string"),
        pytest.param({"settle": float("nan")}, id="nan"),
        pytest.param({"deferred_at": "yesterday"}, id="deferred-at"),
    ],
)
def test_unusable_settle_kwargs_build_a_trigger_that_fails_naming_them(kwargs) -> None:
    # Nothing raised: Airflow's triggerer stops on a constructor error other than TypeError.
    trigger = PollTrigger(check=script("settle-bad", Met(1)).to_dict(), cadence=Fixed(1).to_dict(), **kwargs)
    assert trigger.problem is not None
    (name,) = kwargs
    assert f"argument '{name}'" in trigger.problem
    assert "must be a number in [0, inf)" in trigger.problem


async def test_an_event_that_ends_the_task_in_the_triggerer_is_not_held() -> None:
    # No worker resumes, so there is no race to lose: a TaskSuccessEvent goes at once.
    trigger = PollTrigger(
        check=script("settle-task-end", Met({"id": 1})).to_dict(),
        cadence=Fixed(1).to_dict(),
        deferred_at=time.time(),
        settle=60,
        end_states={"met": "success"},
    )
    event = await asyncio.wait_for(anext(trigger.run()), 10)  # held to settle, it would take 60 s
    assert isinstance(event, BaseTaskEndEvent)
