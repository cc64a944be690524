import random

import pytest

from tests.support.checks import script
from tests.support.fake_time import FakeTime
from tests.triggers.test_poll_loop import loop_for
from triggers.adaptive.rule import Adaptive
from triggers.cadence import Cadence
from triggers.errors import ConfigurationError
from triggers.history import Attempt
from triggers.outcomes import Met, NotYet

RULE = Adaptive(initial_interval=100, min_interval=10, max_interval=1000, history_size=20)


def attempts(successes: int, failures: int, interval: float | None = 100) -> list[Attempt]:
    """Failures first, then successes; the newest attempt carries ``interval``."""
    kinds = ["not_yet"] * failures + ["met"] * successes
    made = [Attempt(at=float(i), duration=0.0, outcome=kind) for i, kind in enumerate(kinds)]  # type: ignore[arg-type]
    if made and interval is not None:
        made[-1] = Attempt(at=made[-1].at, duration=0.0, outcome=made[-1].outcome, interval=interval)
    return made


def delay(history: list[Attempt], rule: Adaptive = RULE) -> float:
    return rule.next_delay(history, random.Random(0))


@pytest.mark.parametrize(
    ("successes", "failures", "expected"),
    [
        pytest.param(20, 0, 150, id="100pct-grows"),
        pytest.param(17, 3, 150, id="85pct-grows"),
        pytest.param(16, 4, 100, id="80pct-exactly-stays"),
        pytest.param(15, 5, 100, id="75pct-stays"),
        pytest.param(7, 13, 100, id="35pct-stays"),
        pytest.param(6, 14, 100, id="30pct-exactly-stays"),
        pytest.param(5, 15, 70, id="25pct-shrinks"),
        pytest.param(0, 20, 70, id="0pct-shrinks"),
        pytest.param(5, 1, 150, id="83pct-of-six-grows"),
        pytest.param(4, 1, 100, id="80pct-of-five-stays"),
        pytest.param(3, 7, 100, id="30pct-of-ten-stays"),
        pytest.param(2, 5, 70, id="29pct-of-seven-shrinks"),
    ],
)
def test_the_seeds_rule_at_and_around_80_and_30_percent(successes, failures, expected) -> None:
    assert delay(attempts(successes, failures)) == pytest.approx(expected)


def test_only_the_last_history_size_attempts_count() -> None:
    # 20 old successes, then 20 misses: the window holds only the misses
    history = attempts(20, 0, interval=None) + [
        Attempt(at=100.0 + i, duration=0.0, outcome="not_yet", interval=100) for i in range(20)
    ]
    assert delay(history) == pytest.approx(70)
    assert delay(history, Adaptive(100, 10, 1000, history_size=40)) == pytest.approx(100)  # 50 %


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        pytest.param(attempts(20, 0, interval=900), 1000, id="grows-to-the-max"),
        pytest.param(attempts(20, 0, interval=1000), 1000, id="stays-at-the-max"),
        pytest.param(attempts(0, 20, interval=12), 10, id="shrinks-to-the-min"),
        pytest.param(attempts(0, 20, interval=10), 10, id="stays-at-the-min"),
        pytest.param(attempts(10, 10, interval=5000), 1000, id="recorded-above-range-clamped"),
        pytest.param(attempts(10, 10, interval=1), 10, id="recorded-below-range-clamped"),
    ],
)
def test_the_interval_is_always_clamped(history, expected) -> None:
    assert delay(history) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        pytest.param([], 100, id="no-history-initial"),
        pytest.param(attempts(10, 10, interval=None), 100, id="no-interval-recorded-initial"),
        pytest.param(attempts(10, 10, interval=400), 400, id="last-recorded-interval"),
        pytest.param(
            [*attempts(10, 10, interval=400), Attempt(at=99.0, duration=0.0, outcome="met")],
            400,
            id="latest-with-an-interval",
        ),
    ],
)
def test_the_rule_starts_from_the_last_interval_used_else_the_initial_one(history, expected) -> None:
    assert delay(history) == pytest.approx(expected)


async def test_misses_compound_until_the_minimum_stops_them() -> None:
    clock = FakeTime()
    check = script("late-file", *[NotYet("no file")] * 5, Met("found"))
    rule = Adaptive(initial_interval=60, min_interval=30, max_interval=300)
    report = await loop_for(check, clock, cadence=rule).run()
    assert clock.sleeps == pytest.approx([42, 30, 30, 30, 30])
    assert report.interval == 30


async def test_a_reliable_history_makes_a_late_day_start_sparse_then_tighten() -> None:
    clock = FakeTime()
    # ten earlier runs found the file at their first check; the last delay used was 60 s
    past = [Attempt(at=0.0, duration=0.0, outcome="not_yet", interval=60)]
    past += [Attempt(at=float(i), duration=0.0, outcome="met") for i in range(1, 11)]
    check = script("usually-on-time", *[NotYet("no file")] * 10, Met("found"))
    rule = Adaptive(initial_interval=60, min_interval=30, max_interval=300, history_size=10)
    await loop_for(check, clock, cadence=rule, history=past, max_records=10).run()
    # 9/10 met grows 60 -> 90; 8/10 .. 3/10 keep 90; 2/10, 1/10, 0/10 shrink by 0.7 down to the floor
    assert clock.sleeps == pytest.approx([90, 90, 90, 90, 90, 90, 90, 63, 44.1, 30.87])


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        pytest.param({"min_interval": 0}, "min_interval", id="zero-min"),
        pytest.param({"max_interval": -5}, "max_interval", id="negative-max"),
        pytest.param(
            {"min_interval": 50, "max_interval": 40, "initial_interval": 45}, "max_interval", id="max-below-min"
        ),
        pytest.param({"initial_interval": 500}, "initial_interval", id="initial-above-max"),
        pytest.param({"initial_interval": 10}, "initial_interval", id="initial-below-min"),
        pytest.param({"history_size": 0}, "history_size", id="empty-window"),
        pytest.param({"history_size": 2.5}, "history_size", id="fractional-window"),
        pytest.param({"initial_interval": "60"}, "initial_interval", id="string-interval"),
    ],
)
def test_invalid_arguments_name_the_argument(kwargs, argument) -> None:
    with pytest.raises(ConfigurationError, match=f"^{argument}:"):
        Adaptive(**kwargs)


def test_the_rule_round_trips_as_a_cadence() -> None:
    assert Cadence.from_dict(RULE.to_dict()) == RULE
    assert RULE.to_dict() == {
        "kind": "adaptive",
        "initial_interval": 100,
        "min_interval": 10,
        "max_interval": 1000,
        "history_size": 20,
    }
