"""The bad-configuration matrix: every sensor argument's invalid values fail at construction.

One row per (sensor, argument, invalid value). Each must raise ConfigurationError whose message
starts with the argument's name (and, for a dict argument, the entry's key), so a DAG author
reading the import error knows what to fix.
The README quotes the number of rows ("invalid configurations rejected").
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from sensors import (
    AdaptiveFileSensor,
    APIHealthSensor,
    FileArrivalSensor,
    MultiSourceReadinessSensor,
    OrderStatusSensor,
)
from triggers.errors import ConfigurationError

READY = "tests.triggers.gather.conditions.ready"
URL = "http://127.0.0.1:1/health"


def order(**bad: Any) -> OrderStatusSensor:
    return OrderStatusSensor(**{"task_id": "t", "order_id": 1, "expected_status": "shipped", **bad})


def api(**bad: Any) -> APIHealthSensor:
    return APIHealthSensor(**{"task_id": "t", "endpoint_url": URL, **bad})


def multi(**bad: Any) -> MultiSourceReadinessSensor:
    # deferrable=True given: left unset, a lambda condition would make the sensor poke, not fail
    return MultiSourceReadinessSensor(**{"task_id": "t", "conditions": {"a": READY}, "deferrable": True, **bad})


def arrival(**bad: Any) -> FileArrivalSensor:
    return FileArrivalSensor(**{"task_id": "t", "filepath": "/data/in/*.csv", **bad})


def adaptive(**bad: Any) -> AdaptiveFileSensor:
    return AdaptiveFileSensor(**{"task_id": "t", "filepath": "/data/in/*.csv", **bad})


# Arguments every sensor takes from DeferrableSensor: each sensor is tried with each.
COMMON: list[tuple[str, Any]] = [
    ("deferrable", "yes"),
    ("failure_threshold", 0),
    ("failure_threshold", -3),
    ("failure_threshold", 2.5),
    ("failure_threshold", "5"),
    ("recovery_timeout", 0),
    ("recovery_timeout", -1.0),
    ("recovery_timeout", "300"),
    ("attempt_timeout", 0),
    ("attempt_timeout", -5),
    ("attempt_timeout", "10"),
    ("backoff_factor", 0.5),
    ("backoff_factor", -2),
    ("backoff_factor", "2"),
    ("backoff_cap", -1),
    ("backoff_cap", 0),
    ("backoff_jitter", -0.1),
    ("backoff_jitter", 1.5),
    ("max_attempt_records", 0),
    ("max_attempt_records", True),
    ("max_attempt_records", 2.0),
]
# AdaptiveFileSensor sets poke_interval and max_attempt_records itself (and refuses them).
POKE_INTERVAL: list[tuple[str, Any]] = [("poke_interval", 0), ("poke_interval", -10)]

BUILDERS = {
    "order": order,
    "api": api,
    "multi": multi,
    "arrival": arrival,
    "adaptive": adaptive,
}

ADAPTIVE_UNUSED = ("max_attempt_records", "backoff_factor", "backoff_cap", "backoff_jitter")

SPECIFIC: dict[str, list[tuple[Any, ...]]] = {
    "order": [
        ("order_ids", "7"),
        ("order_ids", 7),
        ("order_ids", [None]),
        ("order_ids", [[1]]),
        ("expected_status", ""),
        ("expected_status", 3),
        ("expected_status", None),
        ("db_path", "relative/dir"),
        ("db_path", ""),
        ("db_path", 42),
        ("failure_statuses", "cancelled"),
        ("failure_statuses", [1]),
        ("max_parse_failures", 0),
        ("max_parse_failures", -1),
        ("max_parse_failures", 1.5),
        ("max_parse_failures", True),
        ("id_column", ""),
        ("status_column", ""),
        ("columns", "status"),
        ("notify_channel", "orders"),  # without conn_id: a JSON file sends no NOTIFY
        ("conn_id", ""),
    ],
    "api": [
        ("endpoint_url", "ftp://host/file"),
        ("endpoint_url", ""),
        ("endpoint_url", 123),
        ("endpoint_url", "http://user:secret@host/health"),
        ("expected_status", 99),
        ("expected_status", 600),
        ("expected_status", "200"),
        ("expected_status", [200, "ok"]),
        ("expected_status", True),
        ("expected_response", {"version": {1, 2}}),  # a set never equals a JSON body
        ("expected_response", {"at": float("nan")}),
        ("headers", {"Authorization": "Bearer abc"}),
        ("headers", {"X-Api-Key": "abc"}),
        ("headers", {"Cookie": "session=1"}),
        ("headers", ["X-Trace: 1"]),
        ("headers", {"X-Trace": 1}),
        ("request_timeout", 0),
        ("request_timeout", -1),
        ("request_timeout", "30"),
        ("auth_type", "digest"),
        ("response_check", lambda response: True),
        ("response_check", "no_dots"),
        ("response_check", 42),
        ("field_expectations", [("catalog.version", "~=", 100)]),
        ("field_expectations", [("", "exists")]),
        ("field_expectations", ["catalog.version > 100"]),
        ("permanent_statuses", [200]),  # overlaps expected_status
        ("not_yet_statuses", [1000]),
        ("permanent_statuses", ["401"]),
        ("max_body_bytes", 0),
        ("max_body_bytes", -1),
        ("max_body_bytes", 1.5),
        ("connect_timeout", 0),
        ("connect_timeout", -2),
        ("follow_redirects", "yes"),
        ("method", "TRACE"),
        ("method", "get it"),
        ("json", {"a": 1}),  # a GET carries no body
        ("data", {"a": {"b": 1}}),
        ("request_params", {"access_token": "x"}),
        ("request_params", "a=1"),
        ("extra_options", {"stream": True}),
        ("extra_options", {"proxy": "http://u:pw@proxy:3128"}),
        ("http_conn_id", ""),
    ],
    "multi": [
        ("conditions", {}),
        ("conditions", None),
        ("conditions", ["a", "b"]),
        ("conditions", {"a": 42}),
        ("conditions", {"a": lambda: True}),  # a lambda cannot travel to the triggerer
        ("conditions", {"a": "not a dotted path"}),
        ("conditions", {"": READY}),
        ("require_all", "yes"),
        ("condition_timeouts", [("a", 10)]),
        ("condition_timeouts", {"nope": 10}),
        ("condition_timeouts", {"a": -1}),
        ("condition_timeouts", {"a": 0}),
        ("condition_timeouts", {"a": "10"}),
        ("min_ready", 0),
        ("min_ready", 2),  # only one condition
        ("min_ready", "1"),
        ("latch", "yes"),
    ],
    "arrival": [
        ("filepath", "relative/*.csv"),
        ("filepath", ""),
        ("filepath", 7),
        ("filepath", "/data/**/x.csv"),
        ("filepath", "/data/in/"),
        ("filepath", "/data/a\x00b.csv"),
        ("max_age", 0),
        ("max_age", -60),
        ("max_age", "1h"),
        ("min_size", -1),
        ("min_size", 1.5),
        ("min_size", "10"),
        ("stable_for", -1),
        ("stable_for", "5"),
        ("marker_suffix", ""),
        ("marker_suffix", "/done"),
        ("marker_suffix", 5),
        ("watch", "yes"),
    ],
    "adaptive": [
        ("filepath", "relative/*.csv"),
        ("filepath", "/data/**/*.csv"),
        ("initial_interval", 0),
        ("initial_interval", -5),
        ("initial_interval", "60"),
        ("min_interval", 0),
        ("min_interval", -1),
        ("max_interval", 0),
        ("max_interval", 10),  # below min_interval (30)
        ("min_interval", 400, "max_interval"),  # above max_interval (300): the pair is named by its upper end
        ("initial_interval", 1000),  # outside [min_interval, max_interval]
        ("history_size", 0),
        ("history_size", -1),
        ("history_size", 2.5),
        ("interval_override", 0),
        ("interval_override", -30),
        ("interval_override", "fast"),
        ("override_variable", ""),
        ("override_variable", 5),
        ("history_key", "  "),
        ("history_key", []),
        ("cadence", "random"),
        ("cadence", None),
        ("poke_interval", 10),
        ("max_attempt_records", 5),
        ("backoff_factor", 2.0),  # valid elsewhere, but the adaptive cadence takes no backoff
        ("backoff_cap", 60),
        ("backoff_jitter", 0.1),
        ("min_size", -1),
        ("stable_for", -1),
        ("marker_suffix", ""),
    ],
}


def _rows() -> list[Any]:
    rows = []
    for sensor, builder_rows in SPECIFIC.items():
        common, extra = COMMON, POKE_INTERVAL
        if sensor == "adaptive":
            # It sets poke_interval and max_attempt_records itself and its cadence takes no
            # backoff_* arguments: it refuses them all, valid or not (rows above).
            common, extra = [r for r in COMMON if r[0] not in ADAPTIVE_UNUSED], []
        for argument, value, *named in [*builder_rows, *common, *extra]:
            label = getattr(value, "__name__", None) if callable(value) else None
            ident = f"{sensor}-{argument}={label or value!r}"
            rows.append(pytest.param(sensor, argument, value, named[0] if named else argument, id=ident))
    return rows


ROWS = _rows()


@pytest.mark.parametrize(("sensor", "argument", "value", "named"), ROWS)
def test_an_invalid_argument_is_rejected_naming_it(sensor: str, argument: str, value: Any, named: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        BUILDERS[sensor](**{argument: value})
    # "argument: problem", or "argument['key']: problem" for one entry of a dict argument
    assert re.match(rf"{named}(\[[^\]]+\])?: ", str(caught.value)), str(caught.value)


@pytest.mark.parametrize("sensor", sorted(BUILDERS))
def test_the_valid_base_of_each_row_constructs(sensor: str) -> None:
    """The rows differ from a valid sensor by one argument only."""
    BUILDERS[sensor]()


def test_a_dag_file_with_a_bad_argument_is_an_import_error_naming_it(tmp_path: Path) -> None:
    from tests.support.airflow_versions import DagBag

    (tmp_path / "bad_sensor_dag.py").write_text(
        textwrap.dedent(
            """
            from datetime import datetime

            from airflow.sdk import DAG
            from sensors import APIHealthSensor

            with DAG("config_bad_argument", start_date=datetime(2026, 1, 1), schedule=None):
                APIHealthSensor(task_id="wait", endpoint_url="http://127.0.0.1:1/h", request_timeout=-1)
            """
        )
    )
    bag = DagBag(dag_folder=str(tmp_path))
    assert "config_bad_argument" not in bag.dags
    [error] = bag.import_errors.values()
    assert "ConfigurationError" in error
    assert "request_timeout: must be" in error
