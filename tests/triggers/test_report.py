import pytest

from triggers.history import Attempt
from triggers.outcomes import Failed, Met
from triggers.report import REPORT_VERSION, Report


def test_report_round_trips_through_its_event_payload() -> None:
    report = Report(
        outcome="met",
        value={"id": 1, "status": "shipped"},
        attempts=3,
        history=(Attempt(at=1.0, duration=0.01, outcome="not_yet", error="ConnectionError", interval=2.0),),
        started_at=1.0,
        finished_at=5.5,
        interval=2.0,
        breaker="closed",
        detail={"last_status": "shipped"},
    )
    assert Report.from_event(report.to_event()) == report
    assert report.waited == 4.5


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(True, id="built-in-trigger-payload"),
        pytest.param({"version": REPORT_VERSION + 1, "outcome": "met"}, id="future-version"),
        pytest.param({"version": REPORT_VERSION, "outcome": "maybe"}, id="unknown-outcome"),
        pytest.param({"version": REPORT_VERSION, "outcome": "met", "history": [{"at": 1}]}, id="torn-history"),
    ],
)
def test_unreadable_payload_is_a_value_error(payload) -> None:
    with pytest.raises(ValueError, match="report"):
        Report.from_event(payload)


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        pytest.param(Met({"id": 1}, detail={"seen": "shipped"}), ("met", {"id": 1}, ""), id="met"),
        pytest.param(Failed("cancelled", detail={"seen": "cancelled"}), ("failed", None, "cancelled"), id="failed"),
    ],
)
def test_a_report_ending_in_an_outcome_keeps_its_value_reason_and_detail(outcome, expected) -> None:
    report = Report.ending(outcome, attempts=3, detail={"breaker_transitions": []})
    assert (report.outcome, report.value, report.reason, report.attempts) == (*expected, 3)
    assert report.detail == {**outcome.detail, "breaker_transitions": []}
