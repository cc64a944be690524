import pytest

from triggers.breaker import CircuitBreaker
from triggers.errors import ConfigurationError


def test_opens_after_threshold_consecutive_errors() -> None:
    breaker = CircuitBreaker(failure_threshold=3, recovery_timeout=60)
    states = [breaker.record(errored=True, now=t) for t in (0, 1, 2)]
    assert states == ["closed", "closed", "open"]
    assert not breaker.allows(now=3)


def test_a_clean_answer_resets_the_count() -> None:
    breaker = CircuitBreaker(failure_threshold=2, recovery_timeout=60)
    breaker.record(errored=True, now=0)
    breaker.record(errored=False, now=1)
    assert breaker.record(errored=True, now=2) == "closed"


def test_half_opens_after_recovery_timeout_then_closes_on_success() -> None:
    breaker = CircuitBreaker(failure_threshold=1, recovery_timeout=60)
    breaker.record(errored=True, now=100)
    assert breaker.seconds_until_probe(now=130) == 30
    assert not breaker.allows(now=159.9)
    assert breaker.allows(now=160)
    assert breaker.state == "half_open"
    assert breaker.record(errored=False, now=161) == "closed"


def test_an_error_in_half_open_opens_again_for_a_full_recovery_period() -> None:
    breaker = CircuitBreaker(failure_threshold=5, recovery_timeout=60)
    for t in range(5):
        breaker.record(errored=True, now=t)
    assert breaker.allows(now=64)
    assert breaker.record(errored=True, now=65) == "open"
    assert breaker.seconds_until_probe(now=65) == 60


@pytest.mark.parametrize(
    ("threshold", "recovery", "argument"),
    [
        pytest.param(0, 60, "failure_threshold", id="zero-threshold"),
        pytest.param(2.5, 60, "failure_threshold", id="fractional-threshold"),
        pytest.param(3, 0, "recovery_timeout", id="zero-recovery"),
        pytest.param(3, "60", "recovery_timeout", id="string-recovery"),
    ],
)
def test_invalid_settings_name_the_argument(threshold, recovery, argument) -> None:
    with pytest.raises(ConfigurationError, match=f"^{argument}:"):
        CircuitBreaker(failure_threshold=threshold, recovery_timeout=recovery)
