"""A trigger rebuilt from kwargs it cannot use constructs, and its run() fails with the reason.

Airflow 3.3's triggerer catches only TypeError from a trigger constructor: anything else stops the
whole runner, and every wait in that triggerer with it. So a kind from another release, a callable
the triggerer cannot import, a malformed history or a bad number must not raise: the trigger is
built, ``serialize()`` gives back what it was given, and ``run()`` yields one failed report naming
the argument and the cause.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.triggers.trigger_samples import SAMPLES
from triggers.adaptive import AdaptiveIntervalTrigger
from triggers.files import FileWatchTrigger
from triggers.gather import GatherTrigger
from triggers.http import HttpHealthTrigger
from triggers.orders import DbPollTrigger
from triggers.poll_trigger import PollTrigger
from triggers.report import Report


def _check_with(trigger_class: type, tmp_path: Path, **params: Any) -> dict[str, Any]:
    return {**SAMPLES[trigger_class](tmp_path)["check"], **params}


# (trigger class, kwargs to change -> a function of the sample's kwargs, words the reason must hold)
UNUSABLE = [
    pytest.param(
        PollTrigger, lambda s, p: {"check": {"kind": "from_a_newer_release"}}, "unknown kind", id="poll-unknown-kind"
    ),
    pytest.param(PollTrigger, lambda s, p: {"check": "file"}, "check", id="poll-check-not-a-dict"),
    pytest.param(PollTrigger, lambda s, p: {"cadence": {"kind": "lunar"}}, "cadence", id="poll-unknown-cadence"),
    pytest.param(PollTrigger, lambda s, p: {"deadline": -5}, "deadline", id="poll-negative-deadline"),
    pytest.param(PollTrigger, lambda s, p: {"deadline": "soon"}, "deadline", id="poll-deadline-a-string"),
    pytest.param(PollTrigger, lambda s, p: {"attempt_timeout": 0}, "attempt_timeout", id="poll-zero-attempt-timeout"),
    pytest.param(
        PollTrigger, lambda s, p: {"failure_threshold": "3"}, "failure_threshold", id="poll-threshold-a-string"
    ),
    pytest.param(PollTrigger, lambda s, p: {"max_records": 0}, "max_records", id="poll-zero-max-records"),
    pytest.param(PollTrigger, lambda s, p: {"history": [{"at": "x"}]}, "history", id="poll-malformed-history"),
    pytest.param(PollTrigger, lambda s, p: {"history": 42}, "history", id="poll-history-not-a-list"),
    pytest.param(
        HttpHealthTrigger,
        lambda s, p: {"check": _check_with(HttpHealthTrigger, p, response_check="not_installed_here.checks.ok")},
        "not_installed_here",
        id="http-unimportable-response-check",
    ),
    pytest.param(
        HttpHealthTrigger,
        lambda s, p: {"check": _check_with(HttpHealthTrigger, p, method="BREW")},
        "method",
        id="http-bad-method",
    ),
    pytest.param(
        HttpHealthTrigger,
        lambda s, p: {"check": _check_with(HttpHealthTrigger, p, surprise=1)},
        "surprise",
        id="http-unknown-param",
    ),
    pytest.param(
        HttpHealthTrigger,
        lambda s, p: {"check": {"kind": "file", "path": "/tmp/*.csv"}},
        "takes http",
        id="http-given-a-file-check",
    ),
    pytest.param(
        FileWatchTrigger,
        lambda s, p: {"check": _check_with(FileWatchTrigger, p, path="")},
        "path",
        id="file-empty-pattern",
    ),
    pytest.param(
        FileWatchTrigger,
        lambda s, p: {"check": _check_with(FileWatchTrigger, p, stable_for=-1)},
        "stable_for",
        id="file-negative-stable",
    ),
    pytest.param(
        DbPollTrigger,
        lambda s, p: {"check": _check_with(DbPollTrigger, p, order_ids=[])},
        "order_id",
        id="orders-no-ids",
    ),
    pytest.param(
        DbPollTrigger,
        lambda s, p: {"check": {"kind": "order_mongo", "order_ids": [1]}},
        "order_mongo",
        id="orders-unknown-kind",
    ),
    pytest.param(
        GatherTrigger,
        lambda s, p: {
            "check": {
                **s["check"],
                "conditions": {
                    **s["check"]["conditions"],
                    "catalog": {
                        **s["check"]["conditions"]["catalog"],
                        "response_check": "not_installed_here.checks.ok",
                    },
                },
            }
        },
        "not_installed_here",
        id="gather-unimportable-response-check",
    ),
    pytest.param(
        GatherTrigger,
        lambda s, p: {"check": {**s["check"], "conditions": {"x": {"kind": "from_a_newer_release"}}}},
        "from_a_newer_release",
        id="gather-unknown-nested-kind",
    ),
    pytest.param(
        GatherTrigger,
        lambda s, p: {"check": {**s["check"], "conditions": "all"}},
        "conditions",
        id="gather-conditions-not-a-dict",
    ),
    pytest.param(
        AdaptiveIntervalTrigger,
        lambda s, p: {"interval_override": -1},
        "interval_override",
        id="adaptive-negative-override",
    ),
    pytest.param(
        AdaptiveIntervalTrigger,
        lambda s, p: {"override_variable": 7},
        "override_variable",
        id="adaptive-override-variable-a-number",
    ),
    pytest.param(
        AdaptiveIntervalTrigger, lambda s, p: {"history_key": ""}, "history_key", id="adaptive-empty-history-key"
    ),
    pytest.param(
        AdaptiveIntervalTrigger,
        lambda s, p: {"wait_started": "yesterday"},
        "wait_started",
        id="adaptive-wait-started-a-string",
    ),
    pytest.param(
        AdaptiveIntervalTrigger,
        lambda s, p: {"history": [{"outcome": "met"}]},
        "history",
        id="adaptive-malformed-history",
    ),
    pytest.param(
        AdaptiveIntervalTrigger,
        lambda s, p: {"cadence": {"kind": "adaptive", "initial_interval": -1}},
        "cadence",
        id="adaptive-bad-cadence",
    ),
]


async def _events(trigger: Any) -> list[Any]:
    return [event async for event in trigger.run()]


@pytest.mark.parametrize(("trigger_class", "change", "cause"), UNUSABLE)
def test_unusable_kwargs_build_a_trigger_that_fails_with_the_reason(trigger_class, change, cause, tmp_path) -> None:
    sample = SAMPLES[trigger_class](tmp_path)
    kwargs = {**sample, **change(sample, tmp_path)}

    trigger = trigger_class(**kwargs)  # raises nothing: the triggerer keeps running
    events = asyncio.run(asyncio.wait_for(_events(trigger), 5))

    assert len(events) == 1
    report = Report.from_event(events[0].payload)
    assert report.outcome == "failed"
    assert cause in report.reason
    assert "cannot use" in report.reason


@pytest.mark.parametrize(("trigger_class", "change", "cause"), UNUSABLE)
def test_an_unusable_trigger_serialises_the_kwargs_it_was_given(trigger_class, change, cause, tmp_path) -> None:
    sample = SAMPLES[trigger_class](tmp_path)
    kwargs = {**sample, **change(sample, tmp_path)}

    classpath, serialised = trigger_class(**kwargs).serialize()

    assert classpath == f"{trigger_class.__module__}.{trigger_class.__qualname__}"
    assert {k: v for k, v in serialised.items() if k in kwargs} == kwargs


@pytest.mark.parametrize("trigger_class", list(SAMPLES))
def test_a_wrong_keyword_is_still_a_type_error(trigger_class, tmp_path) -> None:
    with pytest.raises(TypeError):
        trigger_class(**SAMPLES[trigger_class](tmp_path), chek={})
