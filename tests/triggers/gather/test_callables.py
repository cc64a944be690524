"""Callable conditions: dotted paths, sync off the loop, async on it, return shapes, errors."""

import functools
import sys
import threading
import types

import pytest

from tests.triggers.gather import conditions
from triggers.checks import Check, check_once
from triggers.errors import ConfigurationError
from triggers.gather import CallableCheck
from triggers.outcomes import Failed, Met, NotYet

PATH = "tests.triggers.gather.conditions"


async def outcome_of(function, **kwargs):
    return await check_once(CallableCheck.of(function, name="source", **kwargs), None)


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        pytest.param(conditions.ready, Met(True), id="true"),
        pytest.param(conditions.not_ready, NotYet(f"{PATH}.not_ready returned False"), id="false"),
        pytest.param(conditions.catalog_version, Met(101), id="true-with-value"),
        pytest.param(
            conditions.old_catalog_version,
            NotYet(f"{PATH}.old_catalog_version returned (False, 99)", detail={"value": 99}),
            id="false-with-value",
        ),
        pytest.param(conditions.async_ready, Met("async"), id="async"),
        pytest.param(conditions.unserialisable, Met("{1, 2}"), id="value-not-json-becomes-str"),
    ],
)
async def test_what_a_function_returns_becomes_the_outcome(function, expected) -> None:
    assert await outcome_of(function) == expected


async def test_a_sync_function_runs_in_a_worker_thread_not_on_the_loop() -> None:
    outcome = await outcome_of(conditions.thread_name)
    assert outcome.value != threading.current_thread().name


async def test_keyword_arguments_travel_with_the_check() -> None:
    check = CallableCheck.of(conditions.version_above, name="catalog", minimum=100, version=101)
    assert Check.from_dict(check.to_dict()) == check
    assert await check_once(check, None) == Met(101)


@pytest.mark.parametrize(
    ("function", "kind", "error"),
    [
        pytest.param(conditions.refused, "not_yet", "ConnectionRefusedError", id="connection-error-transient"),
        pytest.param(conditions.warming_up, "not_yet", "TransientError", id="transient-error"),
        pytest.param(conditions.revoked, "failed", "PermanentError", id="permanent-error"),
        pytest.param(conditions.buggy, "failed", "KeyError", id="unexpected-error-permanent"),
        pytest.param(conditions.forgot_to_return, "failed", "PermanentError", id="returned-none"),
    ],
)
async def test_what_a_function_raises_is_classified_by_type(function, kind, error) -> None:
    outcome = await outcome_of(function)
    assert (outcome.kind, outcome.error) == (kind, error)


async def test_a_path_that_no_longer_imports_in_the_triggerer_fails_the_condition() -> None:
    outcome = await check_once(CallableCheck(f"{PATH}.renamed_since"), None)
    assert isinstance(outcome, Failed)
    assert outcome.reason.startswith(f"cannot import {PATH}.renamed_since")


def test_a_dotted_path_string_is_verified_when_the_dag_is_parsed() -> None:
    assert CallableCheck.of(f"{PATH}.ready", name="a") == CallableCheck(f"{PATH}.ready")
    with pytest.raises(ConfigurationError, match=r"^conditions\['a'\]: cannot import"):
        CallableCheck.of(f"{PATH}.nope", name="a")


def in_dag_file_module():
    """A function as Airflow would load it from a DAG file: importable where parsed, not elsewhere."""
    module = types.ModuleType("unusual_prefix_0123abcd_ml_dag")
    exec("def behaviour_ready():\n    return True\n", module.__dict__)
    sys.modules[module.__name__] = module
    return module.behaviour_ready


def closure():
    def inner() -> bool:
        return True

    return inner


@pytest.mark.parametrize(
    ("function", "problem"),
    [
        pytest.param(lambda: True, "is a lambda", id="lambda"),
        pytest.param(closure(), "closure.<locals>.inner is defined inside another function", id="closure"),
        pytest.param(conditions.Catalog().ready, "Catalog.ready is a bound method", id="bound-method"),
        pytest.param(functools.partial(conditions.version_above, 100), "is a functools.partial", id="partial"),
        pytest.param(in_dag_file_module(), "behaviour_ready is defined in a DAG file", id="dag-file"),
        pytest.param(print, "is a builtin_function_or_method object, not a function", id="builtin"),
    ],
)
def test_a_function_the_triggerer_cannot_import_fails_at_parse_time_saying_how_to_fix_it(function, problem) -> None:
    with pytest.raises(ConfigurationError) as raised:
        CallableCheck.of(function, name="catalog")
    message = str(raised.value)
    assert message.startswith(f"conditions['catalog']: {problem}")
    assert "move it to a module-level function in an importable module" in message
    assert "deferrable=False" in message


@pytest.mark.parametrize(
    ("params", "argument"),
    [
        pytest.param({"target": "no_dots"}, "target", id="not-dotted"),
        pytest.param({"target": f"{PATH}.ready", "kwargs": {"when": object()}}, "kwargs", id="kwargs-not-json"),
    ],
)
def test_bad_callable_parameters_fail_naming_the_argument(params, argument) -> None:
    with pytest.raises(ConfigurationError, match=f"^{argument}:"):
        CallableCheck(**params)
