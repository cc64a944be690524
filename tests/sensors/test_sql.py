"""DeferrableSqlSensor: SqlSensor's arguments, parse-time errors, and deferral to SqlQueryTrigger."""

import inspect
import sqlite3
from datetime import timedelta

import pytest
from airflow.providers.common.sql.sensors.sql import SqlSensor

from sensors.base import TIMEOUT_BACKSTOP_GRACE
from sensors.sql import DeferrableSqlSensor
from tests.support.sensors import context
from tests.triggers.sql.conditions import at_least_three
from triggers.compat import TaskDeferred
from triggers.errors import ConfigurationError
from triggers.sql import LocalSqlQueryCheck, SqlQueryTrigger


def sensor(**kwargs) -> DeferrableSqlSensor:
    kwargs.setdefault("task_id", "wait")
    kwargs.setdefault("conn_id", "db")
    kwargs.setdefault("sql", "SELECT n FROM jobs WHERE id = %s")
    kwargs.setdefault("parameters", [1])
    return DeferrableSqlSensor(**kwargs)


def test_every_sqlsensor_argument_and_template_field_is_kept() -> None:
    ours = inspect.signature(DeferrableSqlSensor.__init__).parameters
    theirs = inspect.signature(SqlSensor.__init__).parameters
    assert set(theirs) - {"self", "kwargs"} <= set(ours)
    assert list(DeferrableSqlSensor.template_fields) == list(SqlSensor.template_fields)
    assert DeferrableSqlSensor.template_ext == SqlSensor.template_ext


@pytest.mark.parametrize(
    ("kwargs", "argument", "problem"),
    [
        pytest.param({"success": lambda v: v}, "success", "is a lambda", id="lambda-success"),
        pytest.param({"selector": lambda r: r[1]}, "selector", "set deferrable=False", id="lambda-selector"),
        pytest.param({"failure": 3}, "failure", "must be a function", id="not-callable"),
        pytest.param({"conn_type": "oracle"}, "conn_type", "'oracle' is not supported", id="unsupported-type"),
        pytest.param({"parameters": [1, 2]}, "parameters", "2 values for 1 %s", id="parameter-count"),
        pytest.param({"parameters": "1"}, "parameters", "must be a list", id="parameters-text"),
        pytest.param({"hook_params": {"log_sql": False}}, "hook_params", "['log_sql'] not supported", id="hook-params"),
        pytest.param({"listen_channel": "a-b"}, "listen_channel", "plain channel name", id="channel"),
        pytest.param({"conn_id": "a b"}, "conn_id", "connection id", id="conn-id"),
        pytest.param({"share_probe": "yes"}, "share_probe", "must be True or False", id="share-probe"),
    ],
)
def test_bad_arguments_fail_at_parse_time_naming_them(kwargs, argument, problem) -> None:
    with pytest.raises(ConfigurationError) as raised:
        sensor(**kwargs)
    assert raised.value.argument == argument
    assert problem in raised.value.problem


def test_poke_mode_takes_any_callable() -> None:
    check = sensor(deferrable=False, success=lambda value: value > 2).build_check()
    assert isinstance(check, LocalSqlQueryCheck)
    with pytest.raises(TypeError, match="poke mode only"):
        check.to_dict()


def test_templated_values_are_checked_once_rendered() -> None:
    built = sensor(conn_id="{{ var.value.db }}", parameters={"day": "{{ ds }}"}, sql="SELECT 1 WHERE %(day)s > ''")
    assert built.conn_id == "{{ var.value.db }}"


def test_execute_defers_with_the_check_as_json_and_no_secret(tmp_path, monkeypatch) -> None:
    db = tmp_path / "jobs.sqlite"

    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE jobs (id integer, n integer)")
        connection.execute("INSERT INTO jobs VALUES (1, 0)")
    connection.close()
    monkeypatch.setenv("AIRFLOW_CONN_DB", f"sqlite:///{db}")
    waiting = sensor(success=at_least_three, hook_params={"schema": "main"}, attempt_timeout=5, timeout=60)
    with pytest.raises(TaskDeferred) as deferred:
        waiting.execute(context())
    trigger = deferred.value.trigger
    assert isinstance(trigger, SqlQueryTrigger)
    assert deferred.value.timeout == timedelta(seconds=60 + TIMEOUT_BACKSTOP_GRACE)
    assert trigger.serialize()[1]["check"] == {
        "kind": "sql_query",
        "conn_id": "db",
        "sql": "SELECT n FROM jobs WHERE id = %s",
        "parameters": [1],
        "success": "tests.triggers.sql.conditions.at_least_three",
        "failure": None,
        "selector": None,
        "fail_on_empty": False,
        "database": "main",
        "listen_channel": None,
        "read_only": True,
        "statement_timeout": 5,
        "share_probe": True,
    }
