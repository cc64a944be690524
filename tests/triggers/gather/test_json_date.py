"""The JSON-file-date condition: the seed's inventory snapshot with today's date."""

import datetime
import json
from zoneinfo import ZoneInfo

import pytest

from triggers.checks import check_once
from triggers.errors import ConfigurationError
from triggers.gather import JsonDateCheck
from triggers.outcomes import Met, NotYet


def today(zone: str = "UTC") -> datetime.date:
    return datetime.datetime.now(ZoneInfo(zone)).date()


def snapshot(tmp_path, content) -> str:
    path = tmp_path / "snapshot.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


async def test_a_snapshot_dated_today_is_met_with_the_date(tmp_path) -> None:
    path = snapshot(tmp_path, {"date": today().isoformat(), "products": [{"id": 1, "stock": 100}]})
    assert await check_once(JsonDateCheck(path), None) == Met(today().isoformat())


async def test_an_iso_datetime_counts_by_its_day_in_the_time_zone(tmp_path) -> None:
    moment = datetime.datetime.now(datetime.UTC).isoformat().replace("+00:00", "Z")
    path = snapshot(tmp_path, {"inventory": {"taken_at": moment}})
    assert isinstance(await check_once(JsonDateCheck(path, field="inventory.taken_at"), None), Met)


async def test_today_is_taken_in_the_configured_time_zone(tmp_path) -> None:
    # UTC+14 and UTC-12 are 26 hours apart: their dates always differ.
    path = snapshot(tmp_path, {"date": today("Etc/GMT-14").isoformat()})
    assert isinstance(await check_once(JsonDateCheck(path, timezone="Etc/GMT-14"), None), Met)
    assert isinstance(await check_once(JsonDateCheck(path, timezone="Etc/GMT+12"), None), NotYet)


@pytest.mark.parametrize(
    ("content", "reason", "error"),
    [
        pytest.param(None, "does not exist yet", "MissingFileError", id="missing"),
        pytest.param('{"date": "20', "not valid JSON yet", "TornFileError", id="torn"),
        pytest.param({"products": []}, "has no field 'date' yet", None, id="no-field"),
        pytest.param({"date": "2001-02-03"}, "date is 2001-02-03, not today", None, id="another-day"),
    ],
)
async def test_not_yet(tmp_path, content, reason, error) -> None:
    path = str(tmp_path / "snapshot.json") if content is None else snapshot(tmp_path, content)
    outcome = await check_once(JsonDateCheck(path), None)
    assert isinstance(outcome, NotYet)
    assert reason in outcome.reason
    assert outcome.error == error


@pytest.mark.parametrize("value", [pytest.param("tomorrow-ish", id="text"), pytest.param(20240101, id="number")])
async def test_a_field_that_is_not_a_date_fails(tmp_path, value) -> None:
    outcome = await check_once(JsonDateCheck(snapshot(tmp_path, {"date": value})), None)
    assert (outcome.kind, outcome.error) == ("failed", "PermanentError")


@pytest.mark.parametrize(
    ("params", "argument"),
    [
        pytest.param({"path": ""}, "path", id="path"),
        pytest.param({"path": "/tmp/x.json", "field": "a..b"}, "field", id="field"),
        pytest.param({"path": "/tmp/x.json", "timezone": "Mars/Olympus"}, "timezone", id="timezone"),
    ],
)
def test_bad_parameters_fail_naming_the_argument(params, argument) -> None:
    with pytest.raises(ConfigurationError, match=f"^{argument}:"):
        JsonDateCheck(**params)
