"""The one validation module: numbers in intervals, whole numbers in bounds, booleans refused as numbers."""

import math
import re

import pytest

from triggers.errors import ConfigurationError
from triggers.validation import require_number, require_whole


@pytest.mark.parametrize(
    ("interval", "inside", "outside"),
    [
        ("(0, 1]", [0.001, 0.5, 1], [0, -1, 1.001]),
        ("[0, 1)", [0, 0.5, 0.999], [-0.001, 1, 2]),
        ("[1, inf)", [1, 2.5, 10**9], [0.999, 0, math.inf, math.nan]),
        ("[0, inf)", [0, 30.0], [-1, math.inf, math.nan]),
    ],
)
def test_require_number_takes_what_lies_in_the_interval(interval, inside, outside) -> None:
    for value in inside:
        assert require_number("x", value, interval) == float(value)
    for value in outside:
        with pytest.raises(ConfigurationError, match=re.escape(f"x: must be a number in {interval}")):
            require_number("x", value, interval)


@pytest.mark.parametrize("value", [True, False, "1", None, [1]])
def test_require_number_refuses_what_is_not_a_number(value) -> None:
    with pytest.raises(ConfigurationError) as caught:
        require_number("backoff_factor", value, "[1, inf)")
    assert caught.value.argument == "backoff_factor"


def test_require_whole_takes_bounds_and_says_them() -> None:
    assert require_whole("min_ready", 3, maximum=3) == 3
    assert require_whole("seed", -5, minimum=None) == -5
    with pytest.raises(ConfigurationError, match="from 1 to 3, got 4"):
        require_whole("min_ready", 4, maximum=3)
    with pytest.raises(ConfigurationError, match="whole number, got True"):
        require_whole("seed", True, minimum=None)
    with pytest.raises(ConfigurationError, match=">= 1, got 0"):
        require_whole("failure_threshold", 0)
