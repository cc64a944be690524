from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.airflow_versions import NoStatsLogger, stats_backend
from triggers.adaptive.performance import Performance, emit_gauges, summarize
from triggers.history import Attempt


def attempt(duration: float, outcome: str = "not_yet") -> Attempt:
    return Attempt(at=0.0, duration=duration, outcome=outcome)  # type: ignore[arg-type]


def test_summarize_a_wait_that_found_the_file() -> None:
    wait = [attempt(0.01), attempt(0.03), attempt(0.02, "met")]
    window = [attempt(0.0, "met"), attempt(0.0, "met"), *wait]
    performance = summarize(wait, window, interval=42.0, started=1000.0, detected=1090.5)
    assert performance == Performance(
        attempts=3,
        success_rate=0.6,
        mean_check_duration=0.02,
        max_check_duration=0.03,
        current_interval=42.0,
        time_to_detection=90.5,
    )


@pytest.mark.parametrize(
    ("started", "detected"),
    [pytest.param(1000.0, None, id="not-found"), pytest.param(None, 1000.0, id="start-unknown")],
)
def test_time_to_detection_is_none_unless_found_and_started_are_known(started, detected) -> None:
    assert (
        summarize([attempt(0.1)], [attempt(0.1)], interval=None, started=started, detected=detected).time_to_detection
        is None
    )


def test_an_empty_wait_has_no_rates_or_durations() -> None:
    performance = summarize([], [], interval=None, started=None, detected=None)
    assert (performance.attempts, performance.success_rate, performance.mean_check_duration) == (0, None, None)


class Recorder(NoStatsLogger):
    """The metrics backend boundary: what StatsD or OpenTelemetry would have been sent."""

    gauges: list[tuple[str, float, dict[str, Any]]] = []

    @classmethod
    def gauge(cls, stat: str, value: float, rate: int = 1, delta: bool = False, *, tags: Any = None) -> None:
        cls.gauges.append((stat, value, dict(tags or {})))


@pytest.fixture
def recorded() -> Iterator[list[tuple[str, float, dict[str, Any]]]]:
    Recorder.gauges = []
    with stats_backend(Recorder):
        yield Recorder.gauges


def test_gauges_carry_every_known_number_with_the_tags(recorded) -> None:
    performance = Performance(3, 0.5, 0.02, 0.03, 42.0, None)
    emit_gauges(performance, {"dag_id": "partners", "task_id": "wait_a"})
    tags = {"dag_id": "partners", "task_id": "wait_a"}
    assert recorded == [
        ("deferrable_sensors.adaptive.attempts", 3.0, tags),
        ("deferrable_sensors.adaptive.success_rate", 0.5, tags),
        ("deferrable_sensors.adaptive.mean_check_duration", 0.02, tags),
        ("deferrable_sensors.adaptive.max_check_duration", 0.03, tags),
        ("deferrable_sensors.adaptive.current_interval", 42.0, tags),
    ]
