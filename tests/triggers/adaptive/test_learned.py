import random

import pytest

from tests.support.checks import script
from tests.support.fake_time import FakeTime
from tests.triggers.test_poll_loop import loop_for
from triggers.adaptive.learned import Learned, quantile
from triggers.adaptive.rule import Adaptive
from triggers.cadence import Cadence
from triggers.errors import ConfigurationError
from triggers.history import Attempt
from triggers.outcomes import Met, NotYet

ANCHOR = 1_700_000_000.0
# ten past arrivals, 1 h to 1 h 45 min after the anchor: the 10th-90th percentile window is [3700, 6200]
ARRIVALS = (3600.0, 3800.0, 4000.0, 4200.0, 4500.0, 4800.0, 5100.0, 5400.0, 6000.0, 6500.0)


def learned(**overrides) -> Learned:
    settings = {"initial_interval": 60, "min_interval": 10, "max_interval": 300, "anchor": ANCHOR, "arrivals": ARRIVALS}
    settings.update(overrides)
    return Learned(**settings)


def delay_at(cadence: Learned, offset: float) -> float:
    """The delay after an attempt that ended ``offset`` seconds after the anchor."""
    return cadence.next_delay([Attempt(at=ANCHOR + offset - 0.5, duration=0.5, outcome="not_yet")], random.Random(0))


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        pytest.param(0.0, 1.0, id="min"),
        pytest.param(1.0, 5.0, id="max"),
        pytest.param(0.5, 3.0, id="median"),
        pytest.param(0.1, 1.4, id="interpolated"),
    ],
)
def test_quantile_interpolates_linearly(q, expected) -> None:
    assert quantile([1.0, 2.0, 3.0, 4.0, 5.0], q) == pytest.approx(expected)


def test_the_window_is_the_central_share_of_past_arrivals() -> None:
    assert learned().arrival_window() == pytest.approx((3780.0, 6050.0))
    assert learned(coverage=1.0).arrival_window() == (3600.0, 6500.0)


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        pytest.param(0, 300, id="long-before-sparse-at-the-max"),
        pytest.param(3600, 45, id="before-a-quarter-of-the-distance"),
        pytest.param(3775, 10, id="just-before-floored-at-the-min"),
        pytest.param(3780, 10, id="window-start-dense"),
        pytest.param(5000, 10, id="inside-dense"),
        pytest.param(6050, 10, id="window-end-dense"),
        pytest.param(6090, 10, id="just-late-floored-at-the-min"),
        pytest.param(6450, 100, id="late-quarter-of-the-lateness"),
        pytest.param(9000, 300, id="very-late-capped-at-the-max"),
    ],
)
def test_the_delay_follows_where_now_falls_against_the_window(offset, expected) -> None:
    assert delay_at(learned(), offset) == pytest.approx(expected)


async def test_an_exact_sequence_closing_in_on_the_window() -> None:
    clock = FakeTime(start=ANCHOR + 3780 - 1024)  # 1024 s before the window opens
    check = script("partner", *[NotYet("no file")] * 8, Met("found"))
    await loop_for(check, clock, cadence=learned()).run()
    # a quarter of the distance left each time, so each delay is 3/4 of the one before
    assert clock.sleeps == pytest.approx([256, 192, 144, 108, 81, 60.75, 45.5625, 34.171875])


async def test_an_exact_sequence_into_and_through_the_window() -> None:
    clock = FakeTime(start=ANCHOR + 3560)
    check = script("partner-in-window", *[NotYet("no file")] * 6, Met("found"))
    await loop_for(check, clock, cadence=learned(arrivals=(3600.0, 3650.0, 3700.0))).run()  # window [3610, 3690]
    # 50 s before: 12.5; from 37.5 s before, a quarter is under the floor: 10 s up to and inside the window
    assert clock.sleeps == pytest.approx([12.5, 10, 10, 10, 10, 10])


async def test_a_late_day_backs_off_in_proportion_to_the_lateness() -> None:
    clock = FakeTime(start=ANCHOR + 3700)
    check = script("late-partner", *[NotYet("no file")] * 6, Met("found"))
    cadence = learned(arrivals=(3600.0, 3650.0, 3700.0), min_interval=10, max_interval=300)  # window ends at 3690
    await loop_for(check, clock, cadence=cadence).run()
    # 10 s late -> 2.5 floored to 10; 20 s late -> 10; 30 -> 10; 40 -> 10; 50 -> 12.5; 62.5 -> 15.625
    assert clock.sleeps == pytest.approx([10, 10, 10, 10, 12.5, 15.625])


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"arrivals": (3600.0, 3700.0)}, id="two-arrivals"),
        pytest.param({"arrivals": ()}, id="no-arrivals"),
        pytest.param({"anchor": None}, id="no-anchor"),
    ],
)
def test_without_enough_to_learn_from_it_is_the_seeds_rule(overrides) -> None:
    history = [Attempt(at=ANCHOR + i, duration=0.0, outcome="not_yet", interval=100) for i in range(5)]
    rule = Adaptive(initial_interval=60, min_interval=10, max_interval=300)
    assert (
        learned(**overrides).next_delay(history, random.Random(0)) == rule.next_delay(history, random.Random(0)) == 70
    )


def test_it_round_trips_as_a_cadence_with_its_arrivals() -> None:
    cadence = learned()
    data = cadence.to_dict()
    assert data["kind"] == "learned"
    assert data["arrivals"] == list(ARRIVALS)
    assert Cadence.from_dict(data) == cadence


@pytest.mark.parametrize(
    ("overrides", "argument"),
    [
        pytest.param({"arrivals": ("06:00",)}, "arrivals", id="arrival-not-seconds"),
        pytest.param({"coverage": 0}, "coverage", id="zero-coverage"),
        pytest.param({"coverage": 1.5}, "coverage", id="coverage-above-one"),
        pytest.param({"distance_share": 0}, "distance_share", id="zero-distance-share"),
        pytest.param({"distance_share": 2}, "distance_share", id="distance-share-above-one"),
        pytest.param({"min_interval": 0}, "min_interval", id="the-rules-own-checks"),
    ],
)
def test_invalid_arguments_name_the_argument(overrides, argument) -> None:
    with pytest.raises(ConfigurationError, match=f"^{argument}:"):
        learned(**overrides)
