"""User callables as importable dotted paths, so a check that runs one can travel as JSON.

A function defined in a DAG file cannot be imported in the triggerer (Airflow imports DAG files
under generated module names), so only module-level functions of importable modules qualify.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from triggers.errors import ConfigurationError

_HOW_TO_FIX = (
    "define it at module level in a module importable by both workers and the triggerer "
    "(an installed package or the plugins folder, not the DAG file) and pass 'package.module.function'"
)


def load_callable(path: str, argument: str) -> Callable[..., Any]:
    """Return the callable at dotted ``path``; raise ConfigurationError naming ``argument`` if there is none."""
    module_name, _, name = path.rpartition(".") if isinstance(path, str) else ("", "", "")
    if not module_name or not name:
        raise ConfigurationError(argument, f"expected 'package.module.function', got {path!r}; {_HOW_TO_FIX}")
    try:
        target = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as error:
        raise ConfigurationError(argument, f"cannot import {path!r} ({error}); {_HOW_TO_FIX}") from error
    if not callable(target):
        raise ConfigurationError(argument, f"{path!r} is not callable")
    return target  # type: ignore[no-any-return]  # checked callable just above


def callable_path(target: Callable[..., Any] | str, argument: str) -> str:
    """Return the importable dotted path of ``target`` (a callable or a path already).

    Raises ConfigurationError, saying how to fix it, for a lambda, a nested function or a
    function defined in a DAG file.
    """
    if isinstance(target, str):
        load_callable(target, argument)
        return target
    module = getattr(target, "__module__", None)
    qualname = getattr(target, "__qualname__", None)
    if not callable(target) or not module or not qualname or "<" in qualname or "." in qualname:
        raise ConfigurationError(argument, f"{target!r} has no importable path; {_HOW_TO_FIX}")
    path = f"{module}.{qualname}"
    try:
        found = load_callable(path, argument)
    except ConfigurationError as error:
        raise ConfigurationError(argument, f"{target!r} is not importable as {path!r}; {_HOW_TO_FIX}") from error
    if found is not target:
        raise ConfigurationError(argument, f"{path!r} imports to another object than {target!r}; {_HOW_TO_FIX}")
    return path
