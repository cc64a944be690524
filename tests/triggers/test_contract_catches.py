"""The contract assertions fail on triggers that break the contract."""

from typing import Any

import pytest

from tests.support.checks import BlockingCheck
from tests.support.contract import (
    assert_never_blocks,
    assert_rejects_unknown_keyword,
    assert_round_trips,
    assert_survives_odd_kwargs,
)
from tests.triggers.trigger_samples import common
from triggers.poll_trigger import PollTrigger


class CatchAllTrigger(PollTrigger):
    """Swallows unknown keywords, like several of Airflow's built-in triggers."""

    def __init__(self, **kwargs: Any) -> None:
        known = {k: kwargs.pop(k) for k in list(kwargs) if k in common() or k in ("check", "history")}
        super().__init__(**known)


class TupleKwargsTrigger(PollTrigger):
    """Serialises a tuple, which JSON turns into a list."""

    def serialize(self) -> tuple[str, dict[str, Any]]:
        classpath, kwargs = super().serialize()
        return classpath, {**kwargs, "history": ()}


def test_catches_a_trigger_with_a_kwargs_catch_all() -> None:
    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        assert_rejects_unknown_keyword(CatchAllTrigger, common(check=BlockingCheck(0).to_dict()))


def test_catches_a_trigger_that_blocks_the_loop() -> None:
    with pytest.raises(AssertionError, match="blocked the event loop"):
        assert_never_blocks(lambda: PollTrigger(**common(check=BlockingCheck(0.1).to_dict())))


def test_catches_kwargs_that_do_not_survive_json() -> None:
    with pytest.raises(AssertionError, match="JSON"):
        assert_round_trips(TupleKwargsTrigger(**common(check=BlockingCheck(0).to_dict())))


class StrictTrigger(PollTrigger):
    """Raises ValueError on a kwarg it cannot use, which would stop Airflow's triggerer."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self.problem is not None:
            raise ValueError(self.problem)


def test_catches_a_constructor_that_raises_value_error() -> None:
    with pytest.raises(pytest.fail.Exception, match="raised ValueError"):
        assert_survives_odd_kwargs(StrictTrigger, common(check=BlockingCheck(0).to_dict()))
