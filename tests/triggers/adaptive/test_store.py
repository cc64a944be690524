import json
import logging

import pytest

from tests.support.variables import Variables
from triggers.adaptive.store import STORE_VERSION, AirflowVariables, Arrival, HistoryStore, SensorHistory
from triggers.history import Attempt

LOG = logging.getLogger("tests.store")
KEY = "adaptive.partner_a"


def attempt(at: float, outcome: str = "not_yet", interval: float | None = 60.0) -> Attempt:
    return Attempt(at=at, duration=0.01, outcome=outcome, interval=interval)  # type: ignore[arg-type]


def store(variables: Variables, limit: int = 5) -> HistoryStore:
    return HistoryStore(KEY, limit, LOG, variables)


def test_a_missing_variable_starts_fresh(caplog) -> None:
    caplog.set_level(logging.INFO, logger=LOG.name)
    assert store(Variables()).load() == SensorHistory()
    assert "not found; starting fresh" in caplog.text


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("{not json", id="not-json"),
        pytest.param("[1, 2]", id="a-list"),
        pytest.param(json.dumps({"version": STORE_VERSION + 1, "attempts": []}), id="another-version"),
        pytest.param(json.dumps({"version": STORE_VERSION, "attempts": [{"at": 1}]}), id="torn-attempt"),
        pytest.param(json.dumps({"version": STORE_VERSION, "attempts": "abc"}), id="attempts-not-a-list"),
        pytest.param(
            json.dumps({"version": STORE_VERSION, "arrivals": [{"anchor": "x", "offset": 1}]}), id="bad-arrival"
        ),
    ],
)
def test_a_corrupted_variable_starts_fresh_with_a_warning(raw, caplog) -> None:
    caplog.set_level(logging.WARNING, logger=LOG.name)
    assert store(Variables(**{KEY: raw})).load() == SensorHistory()
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "is corrupted" in caplog.records[0].getMessage()


def test_an_unreadable_variable_starts_fresh_with_a_warning(caplog) -> None:
    variables = Variables()
    variables.error = ConnectionError("api-server down")
    caplog.set_level(logging.WARNING, logger=LOG.name)
    assert store(variables).load() == SensorHistory()
    assert "unreadable (ConnectionError: api-server down); starting fresh" in caplog.text


def test_a_saved_history_loads_back() -> None:
    variables = Variables()
    history = SensorHistory((attempt(1), attempt(2, "met", None)), (Arrival(anchor=0.0, offset=3600.0),))
    assert store(variables).save(history) == history
    assert store(variables).load() == history
    assert json.loads(variables.values[KEY])["version"] == STORE_VERSION


def test_saving_keeps_only_the_last_history_size_attempts_and_arrivals() -> None:
    variables = Variables()
    history = SensorHistory(
        tuple(attempt(float(i)) for i in range(8)), tuple(Arrival(float(day), 3600.0) for day in range(7))
    )
    saved = store(variables, limit=5).save(history)
    assert saved is not None
    assert [a.at for a in saved.attempts] == [3, 4, 5, 6, 7]
    assert [a.anchor for a in saved.arrivals] == [2, 3, 4, 5, 6]


def test_a_loaded_history_is_bounded_even_if_a_larger_one_was_stored() -> None:
    variables = Variables()
    store(variables, limit=10).save(SensorHistory(tuple(attempt(float(i)) for i in range(10))))
    assert len(store(variables, limit=3).load().attempts) == 3


def test_tasks_sharing_a_key_keep_each_others_records() -> None:
    variables = Variables()
    first, second = store(variables, limit=10), store(variables, limit=10)
    first_loaded, second_loaded = first.load(), second.load()  # both waits began before either saved
    first.save(SensorHistory((*first_loaded.attempts, attempt(1), attempt(3, "met", None)), (Arrival(0, 3.0),)))
    second.save(SensorHistory((*second_loaded.attempts, attempt(2), attempt(4, "met", None)), (Arrival(0, 4.0),)))
    merged = store(variables, limit=10).load()
    assert [a.at for a in merged.attempts] == [1, 2, 3, 4]
    assert merged.arrivals == (Arrival(0, 4.0),)  # one run, one arrival: the later report wins


def test_saving_the_same_history_twice_writes_once() -> None:
    variables = Variables()
    history = SensorHistory((attempt(1), attempt(2, "met", None)))
    store(variables).save(history)
    store(variables).save(history)
    assert variables.writes == 1


def test_a_failed_write_warns_and_does_not_raise(caplog) -> None:
    variables = Variables()
    store(variables).load()
    variables.error = ConnectionError("api-server down")
    caplog.set_level(logging.WARNING, logger=LOG.name)
    assert store(variables).save(SensorHistory((attempt(1),))) is None
    assert "not saved (ConnectionError: api-server down)" in caplog.text


def test_a_corrupted_variable_is_replaced_on_save() -> None:
    variables = Variables(**{KEY: "{garbage"})
    history = SensorHistory((attempt(1),))
    assert store(variables).save(history) == history
    assert store(variables).load() == history


def test_airflow_variables_read_through_airflows_api(monkeypatch) -> None:
    history = SensorHistory((attempt(1),), (Arrival(0.0, 60.0),))
    monkeypatch.setenv("AIRFLOW_VAR_ADAPTIVE_TEST_HISTORY", history.to_json())
    assert HistoryStore("adaptive_test_history", 5, LOG, AirflowVariables()).load() == history
    assert AirflowVariables().get("adaptive_test_missing") is None


def test_airflow_variables_that_cannot_be_written_outside_a_task_only_warn(caplog) -> None:
    # Outside a task there is no supervisor to write through: the store must still not raise.
    caplog.set_level(logging.WARNING, logger=LOG.name)
    assert (
        HistoryStore("adaptive_test_unwritable", 5, LOG, AirflowVariables()).save(SensorHistory((attempt(1),))) is None
    )
    assert "not saved" in caplog.text
