"""What a wait reports is bounded: a huge condition value does not ride along in the event and XCom."""

import json
import time

import pytest

from tests.support.checks import script
from triggers.cadence import Fixed
from triggers.gather import AllOf, CallableCheck, GatherTrigger
from triggers.outcomes import Met, NotYet
from triggers.report import MAX_CONDITION_VALUE_CHARS, MAX_REPORT_VALUE_CHARS, PREVIEW_CHARS, Report, capped


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        pytest.param(None, True, id="none"),
        pytest.param(12, True, id="number"),
        pytest.param("x" * 100, True, id="short-text"),
        pytest.param({"rows": list(range(50))}, True, id="small-dict"),
        pytest.param("x" * 2000, False, id="long-text"),
        pytest.param({"rows": list(range(1000))}, False, id="big-dict"),
    ],
)
def test_a_value_over_the_cap_is_replaced_by_a_summary(value, kept) -> None:
    result = capped(value, 1000)
    if kept:
        assert result == value
    else:
        assert result == {
            "truncated": True,
            "json_chars": len(json.dumps(value)),
            "limit": 1000,
            "preview": json.dumps(value)[:PREVIEW_CHARS],
        }


async def test_a_gather_with_a_huge_condition_value_reports_a_bounded_event() -> None:
    gather = AllOf(
        {
            "huge": CallableCheck("tests.triggers.gather.conditions.huge_value"),
            "small": script("cap-small", NotYet("no"), Met("y")),
        }
    )
    trigger = GatherTrigger(check=gather.to_dict(), cadence=Fixed(0.01).to_dict(), deadline=time.time() + 30)
    events = [event async for event in trigger.run()]
    assert len(json.dumps(events[0].payload)) < MAX_REPORT_VALUE_CHARS + 2 * MAX_CONDITION_VALUE_CHARS
    report = Report.from_event(events[0].payload)
    assert report.outcome == "met"
    assert report.value["small"] == "y"
    assert report.value["huge"]["truncated"] is True
    assert report.value["huge"]["json_chars"] == 1_000_002


def test_a_met_value_over_the_report_cap_is_summarised() -> None:
    report = Report.ending(Met({"blob": "y" * (MAX_REPORT_VALUE_CHARS + 1)}))
    assert (report.value["truncated"], report.value["limit"]) == (True, MAX_REPORT_VALUE_CHARS)
