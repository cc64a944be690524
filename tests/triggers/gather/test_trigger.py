"""GatherTrigger: what it accepts, how it sets up its loop, what it yields."""

import time

import pytest

from tests.support.checks import NeverCheck, script
from triggers.cadence import Backoff, Fixed
from triggers.gather import AllOf, GatherTrigger
from triggers.outcomes import Met, NotYet
from triggers.report import Report


def test_it_takes_only_gathers() -> None:
    problem = GatherTrigger(check=NeverCheck().to_dict(), cadence=Fixed(1).to_dict()).problem
    assert problem is not None
    assert "argument 'check': check: GatherTrigger takes" in problem


@pytest.mark.parametrize(
    ("gather", "cadence", "expected"),
    [
        pytest.param(AllOf(NeverCheck()), Fixed(7), (3.0, 7), id="from-the-trigger-and-cadence"),
        pytest.param(
            AllOf(NeverCheck(), attempt_timeout=1, round_wait=2), Fixed(7), (1, 2), id="the-gathers-own-settings"
        ),
        pytest.param(AllOf(NeverCheck()), Backoff(base=4, jitter=0), (3.0, 4), id="backoff-base"),
    ],
)
def test_the_attempt_timeout_goes_to_each_condition_and_a_round_waits_one_interval(gather, cadence, expected) -> None:
    trigger = GatherTrigger(check=gather.to_dict(), cadence=cadence.to_dict(), attempt_timeout=3.0)
    loop = trigger.make_loop()
    assert loop.attempt_timeout is None
    assert (loop.check.attempt_timeout, loop.check.round_wait) == expected


async def test_run_yields_one_report_with_every_conditions_status() -> None:
    gather = AllOf({"logs": script("trig-logs", Met("x")), "snapshot": script("trig-snap", NotYet("no"), Met("y"))})
    trigger = GatherTrigger(check=gather.to_dict(), cadence=Fixed(0.01).to_dict(), deadline=time.time() + 10)
    events = [event async for event in trigger.run()]
    assert len(events) == 1
    report = Report.from_event(events[0].payload)
    assert report.value == {"logs": "x", "snapshot": "y"}
    assert set(report.detail["conditions"]) == {"logs", "snapshot"}
