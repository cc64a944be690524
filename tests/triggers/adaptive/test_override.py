import logging
import random

import pytest

from tests.support.variables import Variables
from triggers.adaptive.override import InvalidOverride, LiveOverride, Overridden, parse_override, read_variable
from triggers.cadence import Fixed

LOG = logging.getLogger("tests.override")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(None, None, id="unset"),
        pytest.param("", None, id="empty"),
        pytest.param("  ", None, id="blank"),
        pytest.param("5", 5.0, id="whole-seconds"),
        pytest.param(" 2.5 ", 2.5, id="fraction-with-spaces"),
        pytest.param(7, 7.0, id="a-json-number"),
    ],
)
def test_parse_override_reads_seconds_or_none(raw, expected) -> None:
    assert parse_override(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("soon", id="word"),
        pytest.param("0", id="zero"),
        pytest.param("-5", id="negative"),
        pytest.param("nan", id="nan"),
        pytest.param("inf", id="infinite"),
        pytest.param([5], id="a-list"),
    ],
)
def test_parse_override_refuses_what_is_not_a_positive_number(raw) -> None:
    with pytest.raises(InvalidOverride):
        parse_override(raw)


async def test_a_change_is_logged_once_and_removal_hands_back_to_the_cadence(caplog) -> None:
    variables = Variables()
    live = LiveOverride("urgent", LOG, variables.read)
    caplog.set_level(logging.INFO, logger=LOG.name)
    values = []
    for value in (None, "5", "5", "5", "", None):
        if value is None:
            variables.values.pop("urgent", None)
        else:
            variables.values["urgent"] = value
        values.append(await live.refresh())
    assert values == [None, 5.0, 5.0, 5.0, None, None]
    assert [r.getMessage() for r in caplog.records] == [
        "Interval override from Variable 'urgent': checking every 5s from now on",
        "Interval override from Variable 'urgent' removed: the cadence decides again",
    ]


async def test_an_invalid_value_is_ignored_with_one_warning(caplog) -> None:
    live = LiveOverride("urgent", LOG, Variables(urgent="asap").read)
    caplog.set_level(logging.INFO, logger=LOG.name)
    assert [await live.refresh() for _ in range(3)] == [None, None, None]
    assert len(caplog.records) == 1
    assert "ignored: not a number of seconds: 'asap'" in caplog.records[0].getMessage()


async def test_an_unreadable_variable_keeps_the_last_value_and_warns_once(caplog) -> None:
    variables = Variables(urgent="5")
    live = LiveOverride("urgent", LOG, variables.read)
    await live.refresh()
    variables.error = ConnectionError("api-server restarting")
    caplog.set_level(logging.WARNING, logger=LOG.name)
    caplog.clear()
    assert [await live.refresh() for _ in range(3)] == [5.0, 5.0, 5.0]
    assert [r.getMessage() for r in caplog.records] == [
        "override Variable 'urgent' unreadable (ConnectionError: api-server restarting); keeping the last value"
    ]


async def test_without_a_key_nothing_is_read() -> None:
    variables = Variables(urgent="5")
    assert await LiveOverride(None, LOG, variables.read).refresh() is None
    assert variables.reads == 0


async def test_read_variable_goes_through_airflows_variable_api(monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_ADAPTIVE_TEST_URGENT", "2.5")
    assert await read_variable("adaptive_test_urgent") == "2.5"
    assert await read_variable("adaptive_test_not_set") is None


@pytest.mark.parametrize(
    ("live_value", "fixed", "expected"),
    [
        pytest.param(None, None, 60, id="the-cadence"),
        pytest.param(None, 20, 20, id="the-argument"),
        pytest.param("5", 20, 5, id="the-variable-beats-the-argument"),
        pytest.param("5", None, 5, id="the-variable"),
    ],
)
async def test_the_variable_beats_the_argument_which_beats_the_cadence(live_value, fixed, expected) -> None:
    variables = Variables() if live_value is None else Variables(urgent=live_value)
    live = LiveOverride("urgent", LOG, variables.read)
    await live.refresh()
    assert Overridden(Fixed(60), fixed, live).next_delay([], random.Random(0)) == expected
