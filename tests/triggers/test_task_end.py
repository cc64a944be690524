"""A trigger told where it may end the task yields Airflow's task-end events, with the XComs."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from airflow.triggers.base import TaskFailedEvent, TaskSkippedEvent, TaskSuccessEvent, TriggerEvent

from tests.support.checks import NeverCheck, script
from triggers.cadence import Fixed
from triggers.outcomes import Failed, Met, NotYet
from triggers.poll_trigger import PollTrigger


def trigger(check: dict[str, Any], end_states: dict[str, str] | None, deadline: float = 30.0) -> PollTrigger:
    return PollTrigger(
        check=check, cadence=Fixed(0.01).to_dict(), deadline=time.time() + deadline, end_states=end_states
    )


async def only_event(made: PollTrigger) -> TriggerEvent:
    events = [event async for event in made.run()]
    assert len(events) == 1
    return events[0]


async def test_a_met_wait_ends_the_task_as_success_with_the_value_and_report_xcoms() -> None:
    check = script("end-met", NotYet("not yet"), Met({"id": 2, "status": "shipped"})).to_dict()
    event = await only_event(trigger(check, {"met": "success"}))
    assert isinstance(event, TaskSuccessEvent)
    assert event.xcoms is not None
    assert event.xcoms["return_value"] == {"id": 2, "status": "shipped"}
    assert event.xcoms["sensor_report"]["outcome"] == "met"
    assert event.xcoms["sensor_report"]["attempts"] == 2
    json.dumps(event.xcoms)  # XComs are JSON


@pytest.mark.parametrize(
    ("state", "event_class"), [("skipped", TaskSkippedEvent), ("failed", TaskFailedEvent)], ids=["skip", "fail"]
)
async def test_a_failed_wait_ends_in_the_state_the_sensor_chose(state: str, event_class: type) -> None:
    check = script(f"end-{state}", Failed("order 2 is 'cancelled'")).to_dict()
    event = await only_event(trigger(check, {"failed": state}))
    assert isinstance(event, event_class)
    assert event.xcoms is not None
    assert "return_value" not in event.xcoms
    assert event.xcoms["sensor_report"]["reason"] == "order 2 is 'cancelled'"


async def test_a_timeout_ends_as_skipped_when_told() -> None:
    event = await only_event(trigger(NeverCheck().to_dict(), {"timeout": "skipped"}, deadline=0.1))
    assert isinstance(event, TaskSkippedEvent)
    assert event.xcoms is not None
    assert event.xcoms["sensor_report"]["outcome"] == "timeout"


async def test_an_outcome_not_listed_goes_back_to_the_worker_as_a_report() -> None:
    check = script("end-resume", Failed("gone")).to_dict()
    event = await only_event(trigger(check, {"met": "success"}))
    assert type(event) is TriggerEvent
    assert event.payload["outcome"] == "failed"


def test_end_states_round_trip_and_are_left_out_when_empty() -> None:
    made = trigger(NeverCheck().to_dict(), {"met": "success", "timeout": "failed"})
    _, kwargs = made.serialize()
    assert kwargs["end_states"] == {"met": "success", "timeout": "failed"}
    assert PollTrigger(**json.loads(json.dumps(kwargs))).serialize() == made.serialize()
    assert "end_states" not in trigger(NeverCheck().to_dict(), None).serialize()[1]


@pytest.mark.parametrize(
    "end_states",
    [{"met": "failed"}, {"failed": "success"}, {"later": "success"}, {"timeout": "done"}],
    ids=["met-failed", "failed-success", "unknown-outcome", "unknown-state"],
)
def test_malformed_end_states_build_a_trigger_that_fails_naming_them(end_states: dict) -> None:
    # Nothing raised: Airflow's triggerer stops on a constructor error other than TypeError.
    made = trigger(NeverCheck().to_dict(), end_states)
    assert made.problem is not None
    assert "argument 'end_states'" in made.problem


def test_triggers_without_end_states_share_one_empty_mapping_and_serialise_without_it() -> None:
    check = NeverCheck().to_dict()
    first, second = trigger(check, None), trigger(check, {})
    assert first.end_states == {}
    assert first.end_states is second.end_states  # one read-only empty mapping, not a dict per trigger
    assert "end_states" not in first.serialize()[1]
    ends = {"met": "success"}
    told = trigger(check, ends)
    assert told.end_states == ends
    assert told.end_states is not ends


def test_triggers_given_equal_end_states_share_one_read_only_mapping() -> None:
    # most sensors in a triggerer have no retries: each wait carries {"failed": "failed", ...}
    check = NeverCheck().to_dict()
    first = trigger(check, {"failed": "failed", "timeout": "failed"})
    second = trigger(check, {"timeout": "failed", "failed": "failed"})
    assert first.end_states is second.end_states  # one mapping for all, not a dict per wait
    assert trigger(check, {"met": "success"}).end_states is not first.end_states
    with pytest.raises(TypeError):
        first.end_states["met"] = "success"  # type: ignore[index]  # read-only: shared by every wait
    assert first.serialize()[1]["end_states"] == {"failed": "failed", "timeout": "failed"}


def test_waits_of_equal_sensors_share_their_options_and_keep_their_own_deadline() -> None:
    check, cadence = NeverCheck().to_dict(), Fixed(1.0).to_dict()
    given = {"attempt_timeout": 5, "failure_threshold": 3, "end_states": {"failed": "failed"}}
    first = PollTrigger(check=check, cadence=cadence, deadline=2e9, seed=1, **given)
    second = PollTrigger(check=check, cadence=cadence, deadline=2e9 + 60, seed=2, **given)
    assert first._options is second._options  # one object for both, not six slots each
    assert (first.serialize()[1]["deadline"], second.serialize()[1]["seed"]) == (2e9, 2)
    assert (first.attempt_timeout, first.failure_threshold, first.end_states) == (5, 3, {"failed": "failed"})
    # 5.0 equals 5 but serialises as a float: not shared with the int
    as_float = PollTrigger(check=check, cadence=cadence, **{**given, "attempt_timeout": 5.0})
    assert as_float._options is not first._options
    assert type(as_float.serialize()[1]["attempt_timeout"]) is float
    unusable = PollTrigger(check=check, cadence=cadence, max_records=[20])  # type: ignore[arg-type]
    assert unusable.problem is not None
    assert unusable.serialize()[1]["max_records"] == [20]
