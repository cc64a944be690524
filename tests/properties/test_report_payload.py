"""Properties of the report payload: every report survives the trip, and no JSON crashes the parser."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from triggers.history import Attempt
from triggers.report import REPORT_VERSION, Report

#: Moderate counts keep the suite fast; the strategies are small, so this covers them well.
EXAMPLES = settings(max_examples=100, deadline=None)

finite = st.floats(allow_nan=False, allow_infinity=False)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | finite | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
attempts = st.builds(
    Attempt,
    at=finite,
    duration=finite,
    outcome=st.sampled_from(["met", "not_yet", "failed"]),
    error=st.none() | st.text(max_size=20),
    interval=st.none() | finite,
)
reports = st.builds(
    Report,
    outcome=st.sampled_from(["met", "failed", "timeout"]),
    value=json_values,
    reason=st.text(max_size=40),
    attempts=st.integers(min_value=0, max_value=10**6),
    history=st.lists(attempts, max_size=5).map(tuple),
    started_at=finite,
    finished_at=finite,
    interval=st.none() | finite,
    breaker=st.sampled_from(["closed", "open", "half_open"]),
    detail=st.dictionaries(st.text(max_size=8), json_values, max_size=4),
)


@EXAMPLES
@given(reports)
def test_a_report_survives_its_event_payload(report: Report) -> None:
    assert Report.from_event(report.to_event()) == report


@EXAMPLES
@given(reports)
def test_a_report_survives_the_json_text_airflow_stores(report: Report) -> None:
    assert Report.from_event(json.loads(json.dumps(report.to_event()))) == report


# Payloads that look like reports, with any JSON in any field: the parser's hard cases.
report_like = st.fixed_dictionaries(
    {"version": st.just(REPORT_VERSION), "outcome": st.sampled_from(["met", "failed", "timeout"])},
    optional={
        key: json_values
        for key in ("value", "reason", "attempts", "history", "started_at", "finished_at", "interval", "detail")
    },
)


@EXAMPLES
@given(json_values | report_like)
@example({"version": REPORT_VERSION, "outcome": "met", "attempts": 10**400})
@example({"version": REPORT_VERSION, "outcome": "met", "started_at": 10**400})
@example({"version": REPORT_VERSION, "outcome": "met", "attempts": float("inf")})
@example({"version": REPORT_VERSION, "outcome": "met", "history": [{"at": 10**400, "duration": 0, "outcome": "met"}]})
def test_parsing_any_json_raises_nothing_but_value_error(payload: Any) -> None:
    with contextlib.suppress(ValueError):
        Report.from_event(payload)
