"""Placeholders: one pyformat style in, each driver's own style out; values never in the SQL."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from triggers.errors import ConfigurationError, PermanentError
from triggers.sql.placeholders import bind, validate_parameters
from triggers.sql.values import coerce_arguments

SQL_IN_A_VALUE = "x'; DROP TABLE t; --"


@pytest.mark.parametrize(
    ("sql", "parameters", "dialect", "expected_sql", "expected_arguments"),
    [
        pytest.param("SELECT %s, %s", [1, "a"], "postgres", "SELECT $1, $2", [1, "a"], id="pg-positional"),
        pytest.param("SELECT %s, %s", [1, "a"], "mysql", "SELECT %s, %s", [1, "a"], id="mysql-positional"),
        pytest.param("SELECT %s, %s", [1, "a"], "sqlite", "SELECT ?, ?", [1, "a"], id="sqlite-positional"),
        pytest.param(
            "SELECT %(a)s + %(b)s + %(a)s", {"a": 1, "b": 2}, "postgres", "SELECT $1 + $2 + $1", [1, 2], id="pg-named"
        ),
        pytest.param("SELECT %(a)s, %(a)s", {"a": 1}, "mysql", "SELECT %s, %s", [1, 1], id="mysql-named"),
        pytest.param("SELECT %(a)s, %(a)s", {"a": 1}, "sqlite", "SELECT ?, ?", [1, 1], id="sqlite-named"),
        pytest.param("SELECT 'a%%' LIKE %s", ["a"], "postgres", "SELECT 'a%' LIKE $1", ["a"], id="pg-percent"),
        pytest.param("SELECT 'a%%' LIKE %s", ["a"], "mysql", "SELECT 'a%%' LIKE %s", ["a"], id="mysql-percent"),
        pytest.param("SELECT ?, :n", {"n": 1}, "sqlite", "SELECT ?, :n", {"n": 1}, id="sqlite-native-untouched"),
        pytest.param("SELECT $1::int", [1], "postgres", "SELECT $1::int", [1], id="pg-native-untouched"),
        pytest.param("SELECT '100%'", None, "postgres", "SELECT '100%'", (), id="no-parameters-no-processing"),
        pytest.param("SELECT '100%'", None, "mysql", "SELECT '100%'", None, id="mysql-no-parameters"),
    ],
)
def test_each_driver_gets_its_own_style(sql, parameters, dialect, expected_sql, expected_arguments) -> None:
    bound = bind(sql, validate_parameters(parameters), dialect)
    assert bound.sql == expected_sql
    assert bound.arguments == expected_arguments


def test_a_value_with_sql_in_it_stays_a_value() -> None:
    bound = bind("SELECT %s", (SQL_IN_A_VALUE,), "postgres")
    assert bound.sql == "SELECT $1"
    assert bound.arguments == [SQL_IN_A_VALUE]


@pytest.mark.parametrize(
    ("sql", "parameters", "argument", "problem"),
    [
        pytest.param("SELECT %s, %s", [1], "parameters", "has 1 values, the SQL more", id="too-few"),
        pytest.param("SELECT %s", [1, 2], "parameters", "has 2 values for 1 %s", id="too-many"),
        pytest.param("SELECT %s", {"a": 1}, "sql", "but parameters is a dict", id="positional-with-dict"),
        pytest.param("SELECT %(a)s", [1], "sql", "not a list", id="named-with-list"),
        pytest.param("SELECT %(a)s", {"b": 1}, "parameters", "no value for %(a)s", id="missing-name"),
        pytest.param("SELECT %s LIKE '5%'", [1], "sql", "lone %", id="lone-percent"),
    ],
)
def test_mismatches_name_the_argument(sql, parameters, argument, problem) -> None:
    with pytest.raises(ConfigurationError) as raised:
        bind(sql, validate_parameters(parameters), "postgres")
    assert raised.value.argument == argument
    assert problem in raised.value.problem


@pytest.mark.parametrize(
    "value",
    [pytest.param("a", id="text"), pytest.param({1: 2}, id="int-keys"), pytest.param([object()], id="not-json")],
)
def test_parameters_must_be_a_list_or_dict_of_json(value) -> None:
    with pytest.raises(ConfigurationError, match="parameters"):
        validate_parameters(value)


def test_strings_become_the_parameter_types_asyncpg_needs() -> None:
    fitted = coerce_arguments(
        ["2024-01-02", "2024-01-02T03:04:05", "7", "1.50", "true", 5, "kept"],
        ["date", "timestamp", "int4", "numeric", "bool", "text", "jsonb"],
    )
    assert fitted == [date(2024, 1, 2), datetime(2024, 1, 2, 3, 4, 5), 7, Decimal("1.50"), True, "5", "kept"]


def test_a_string_that_is_not_its_type_is_permanent_naming_the_parameter() -> None:
    with pytest.raises(PermanentError, match="parameter 2 must be a date"):
        coerce_arguments(["1", "yesterday"], ["int4", "date"])
