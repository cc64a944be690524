import random

import pytest

from triggers.cadence import _SHARED, SHARED_CADENCES_MAX, Backoff, Cadence, Fixed, shared_cadence
from triggers.errors import ConfigurationError
from triggers.history import Attempt


def attempts(*errors: bool) -> list[Attempt]:
    return [Attempt(at=0, duration=0, outcome="not_yet", error="ConnectionError" if e else None) for e in errors]


def test_fixed_ignores_history() -> None:
    assert Fixed(5).next_delay(attempts(True, True), random.Random(0)) == 5


def test_backoff_without_jitter_doubles_per_consecutive_error_up_to_the_cap() -> None:
    cadence = Backoff(base=1, factor=2, cap=10, jitter=0)
    history: list[Attempt] = []
    delays = []
    for _ in range(6):
        history += attempts(True)
        delays.append(cadence.next_delay(history, random.Random(0)))
    assert delays == [2, 4, 8, 10, 10, 10]


def test_backoff_returns_to_base_after_a_clean_not_yet() -> None:
    cadence = Backoff(base=1, factor=2, cap=10, jitter=0)
    assert cadence.next_delay(attempts(True, True, False), random.Random(0)) == 1


def test_backoff_jitter_is_an_exact_sequence_under_a_seeded_random_source() -> None:
    cadence = Backoff(base=1, factor=3, cap=60, jitter=0.5)
    rng = random.Random(7)
    delays = [round(cadence.next_delay(attempts(*[True] * n), rng), 6) for n in range(1, 6)]
    # min(60, 3**n) * (1 - 0.5 * r) with r drawn from random.Random(7): 3, 9, 27, 60, 60 before jitter
    assert delays == [2.514251, 8.321179, 18.212385, 57.826911, 43.92354]


def test_backoff_with_thousands_of_errors_stays_at_the_cap() -> None:
    assert Backoff(base=1, cap=30, jitter=0).next_delay(attempts(*[True] * 5000), random.Random(0)) == 30


@pytest.mark.parametrize(
    ("build", "argument"),
    [
        pytest.param(lambda: Fixed(0), "poke_interval", id="fixed-zero"),
        pytest.param(lambda: Backoff(base=-1), "poke_interval", id="negative-base"),
        pytest.param(lambda: Backoff(base=10, cap=5), "backoff_cap", id="cap-below-base"),
        pytest.param(lambda: Backoff(base=1, factor=0.5), "backoff_factor", id="shrinking-factor"),
        pytest.param(lambda: Backoff(base=1, jitter=1.5), "backoff_jitter", id="jitter-above-one"),
        pytest.param(lambda: Fixed("5"), "poke_interval", id="string-interval"),  # type: ignore[arg-type]
    ],
)
def test_invalid_cadence_names_the_argument(build, argument) -> None:
    with pytest.raises(ConfigurationError, match=f"^{argument}:"):
        build()


def test_cadence_round_trips_through_its_dict() -> None:
    cadence = Backoff(base=2, factor=1.5, cap=40, jitter=0.25)
    assert Cadence.from_dict(cadence.to_dict()) == cadence


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"kind": "nope"}, id="unknown-kind"),
        pytest.param({"kind": "fixed", "interval": 1, "extra": 2}, id="unknown-param"),
        pytest.param({"interval": 1}, id="no-kind"),
    ],
)
def test_cadence_from_bad_dict_is_a_configuration_error(data) -> None:
    with pytest.raises(ConfigurationError):
        Cadence.from_dict(data)


def test_an_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown kind 'nope' \(known: .*backoff, fixed"):
        Cadence.from_dict({"kind": "nope"})


def test_equal_cadences_rebuilt_from_json_share_one_frozen_instance() -> None:
    data = Backoff(base=5, factor=2, cap=300, jitter=0.1).to_dict()
    first, second = shared_cadence(data), shared_cadence(dict(data))
    assert first is second
    assert first == Cadence.from_dict(data)
    # 5 and 5.0 are equal, but the rebuilt kwargs must keep the type they were given
    as_int = shared_cadence({"kind": "fixed", "interval": 5})
    as_float = shared_cadence({"kind": "fixed", "interval": 5.0})
    assert as_int is not as_float
    assert type(as_int.to_dict()["interval"]) is int
    assert type(as_float.to_dict()["interval"]) is float
    assert shared_cadence({"kind": "fixed", "interval": 6}) is not as_int


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"kind": "fixed", "interval": -1}, id="invalid"),
        pytest.param({"kind": "fixed", "interval": [5]}, id="unhashable"),
        pytest.param("fixed", id="not-a-mapping"),
        pytest.param({"kind": "nope"}, id="unknown-kind"),
    ],
)
def test_a_cadence_that_cannot_be_shared_is_refused_as_from_dict_refuses_it(data) -> None:
    with pytest.raises(ConfigurationError):
        shared_cadence(data)


def test_the_shared_cadences_stay_bounded() -> None:
    for interval in range(1, SHARED_CADENCES_MAX + 10):
        shared_cadence({"kind": "fixed", "interval": interval})
    assert len(_SHARED) <= SHARED_CADENCES_MAX
