"""WaitState: what reschedule mode saves between pokes, and what it does with a value it cannot read."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sensors.poke_state import STATE_KEY
from tests.support.checks import script
from tests.support.sensors import ScriptedSensor, TaskInstanceStub
from tests.support.state_store import TaskStateStoreFake
from triggers.breaker import CircuitBreaker
from triggers.history import Attempt
from triggers.outcomes import Met, NotYet
from triggers.wait_state import WaitState


def test_the_state_survives_a_json_round_trip() -> None:
    state = WaitState(3, CircuitBreaker(2, 60.0), attempts=7)
    state.records[:] = [Attempt(float(i), 0.1, "not_yet", "HTTP503", 2.0) for i in range(3)]
    state.breaker.record(True, 10.0)  # type: ignore[union-attr]
    state.breaker.record(True, 11.0)  # type: ignore[union-attr]
    state.transitions.append({"at": 11.0, "from": "closed", "to": "open"})
    back = WaitState(3, CircuitBreaker(2, 60.0))
    assert back.restore(json.loads(json.dumps(state.to_json())))
    assert (back.records, back.transitions, back.attempts) == (state.records, state.transitions, 7)
    assert back.breaker == state.breaker


@pytest.mark.parametrize(
    "saved",
    [
        "not a dict",
        {"version": 99, "records": [], "transitions": [], "breaker": None},
        {"version": 1, "records": [{"at": "x"}], "transitions": [], "breaker": None},
        {"version": 1, "records": [], "transitions": [], "breaker": {"state": "ajar", "failures": 1, "opened_at": 0}},
        {"version": 1, "records": []},
    ],
    ids=["text", "other-release", "bad-record", "bad-breaker", "missing-keys"],
)
def test_an_unreadable_state_is_refused_and_changes_nothing(saved: Any) -> None:
    state = WaitState(5, CircuitBreaker(2, 60.0))
    assert not state.restore(saved)
    assert (state.records, state.transitions, state.attempts, state.breaker.state) == ([], [], 0, "closed")  # type: ignore[union-attr]


def test_reschedules_continue_the_attempt_count_and_start_afresh_on_garbage(capsys: pytest.CaptureFixture[str]) -> None:
    script("never met", NotYet("not yet"))
    store = TaskStateStoreFake()
    context = {"ti": TaskInstanceStub(), "task_state_store": store}
    for _ in range(3):
        ScriptedSensor(name="never met", task_id="w", mode="reschedule", deferrable=False).poke(context)
    assert store.get(STATE_KEY)["attempts"] == 3
    store.set(STATE_KEY, {"version": 1, "records": "torn"})
    fresh = ScriptedSensor(name="never met", task_id="w", mode="reschedule", deferrable=False)
    fresh.poke(context)
    printed = capsys.readouterr()
    assert "Ignoring unreadable poke state" in printed.out + printed.err
    assert store.get(STATE_KEY)["attempts"] == 1


class BrokenStore:
    """A task state store whose API calls fail (an api-server that refuses them)."""

    def get(self, key: str, default: Any = None) -> Any:
        raise ConnectionError("api-server unreachable")

    def set(self, key: str, value: Any) -> None:
        raise ConnectionError("api-server unreachable")


def test_a_failing_state_store_costs_the_history_not_the_wait(capsys: pytest.CaptureFixture[str]) -> None:
    script("met later", NotYet("not yet"), Met(42))
    context = {"ti": TaskInstanceStub(), "task_state_store": BrokenStore()}
    first = ScriptedSensor(name="met later", task_id="w", mode="reschedule", deferrable=False)
    assert first.poke(context) is False
    second = ScriptedSensor(name="met later", task_id="w", mode="reschedule", deferrable=False)
    assert second.poke(context).xcom_value == 42
    printed = capsys.readouterr()
    assert "Poke state unreadable (ConnectionError" in printed.out + printed.err
    assert "Poke state not saved (ConnectionError" in printed.out + printed.err
