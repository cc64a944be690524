"""Ready-made conditions for ``MultiSourceReadinessSensor(conditions=...)``: the seed's ML sources.

:class:`JsonDateCheck` waits for a JSON file whose date field is today (the inventory snapshot): a
missing or half-written file, a missing field or another day's date is "not yet"; a field that is
not a date fails. The functions ship in the package because the triggerer imports each condition
by its dotted path. They read the seed's layout under ``/tmp/ml-data`` (``behavior/*`` logs,
``inventory/snapshot.json``) unless ``ML_DATA_DIR``, in the environment of workers and triggerer,
says otherwise. The product catalog is best checked declaratively (an HttpCheck with a field
expectation): no function here.
"""

from __future__ import annotations

import datetime
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from triggers.checks import Check
from triggers.errors import ConfigurationError, PermanentError
from triggers.http.expectations import FieldExpectation, lookup
from triggers.json_file import read_json
from triggers.outcomes import Met, NotYet, Outcome

#: Where the seed's ML sources write when ``ML_DATA_DIR`` is unset.
DEFAULT_ML_DATA_DIR = "/tmp/ml-data"
#: A behaviour log counts when it was modified within this many seconds.
BEHAVIOUR_MAX_AGE = 3600.0


def as_date(value: Any, zone: ZoneInfo) -> datetime.date:
    """Return the calendar day of ``value`` (``YYYY-MM-DD`` or an ISO datetime) in ``zone``.

    An aware datetime is converted to ``zone`` first; a naive one is taken as it is. Raises
    ValueError when ``value`` is not such a string.
    """
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO date string, got {type(value).__name__} {value!r:.50}")
    text = value.strip()
    if len(text) == 10:
        return datetime.date.fromisoformat(text)
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.astimezone(zone).date() if moment.tzinfo is not None else moment.date()


@dataclass(frozen=True)
class JsonDateCheck(Check):
    """Met when the JSON file at ``path`` has today's date (in ``timezone``) at ``field``.

    The met value is the date, ``YYYY-MM-DD``.
    """

    kind: ClassVar[str] = "json_date"
    path: str
    field: str = "date"
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        if not isinstance(self.path, str) or not self.path:
            raise ConfigurationError("path", f"must be a file path, got {self.path!r}")
        if not isinstance(self.field, str) or not all(self.field.split(".")):
            raise ConfigurationError("field", f"must be a dot path such as 'snapshot.date', got {self.field!r}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
            raise ConfigurationError("timezone", f"unknown time zone {self.timezone!r}") from error

    def describe(self) -> str:
        return f"json_date {self.path}:{self.field}"

    async def check(self) -> Outcome:
        data = await read_json(self.path)
        if FieldExpectation(self.field, "exists").mismatch(data) is not None:
            return NotYet(f"{self.path} has no field {self.field!r} yet")
        raw = lookup(data, self.field)
        zone = ZoneInfo(self.timezone)
        try:
            day = as_date(raw, zone)
        except ValueError as error:
            raise PermanentError(f"{self.path}: {self.field} is not a date: {error}") from error
        today = datetime.datetime.now(zone).date()
        if day == today:
            return Met(day.isoformat())
        return NotYet(f"{self.field} is {day}, not today ({today} {self.timezone})", detail={"value": day.isoformat()})


def ml_data_dir() -> Path:
    """Return the base directory of the seed's ML sources: ``ML_DATA_DIR``, else ``/tmp/ml-data``."""
    return Path(os.environ.get("ML_DATA_DIR", DEFAULT_ML_DATA_DIR))


def behaviour_logs_ready() -> tuple[bool, int]:
    """Return (ready, count): files in ``behavior/`` modified within the last hour.

    A sync function, as the seed's authors write them: the sensor runs it in a worker thread.
    """
    cutoff = time.time() - BEHAVIOUR_MAX_AGE
    fresh = 0
    for path in (ml_data_dir() / "behavior").glob("*"):
        try:
            fresh += path.is_file() and path.stat().st_mtime > cutoff
        except FileNotFoundError:
            continue  # removed between the listing and the stat
    return fresh > 0, fresh


async def inventory_snapshot_today() -> Outcome:
    """Return whether the inventory snapshot is dated today (UTC), through the library's JsonDateCheck.

    An async function runs on the triggerer's loop; a missing or half-written snapshot is "not yet".
    """
    return await JsonDateCheck(str(ml_data_dir() / "inventory" / "snapshot.json")).check()
