"""User callables as importable dotted paths, so a check that runs one can travel as JSON.

The triggerer imports a check's callables by dotted path, so only module-level functions of
modules it can import qualify. Not one from a DAG file: Airflow loads those under generated module
names (``unusual_prefix_...``), importable where the DAG was parsed and nowhere else.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable
from typing import Any

from triggers.errors import ConfigurationError

#: Airflow loads DAG files under module names with this prefix; the triggerer never imports them.
DAG_MODULE_PREFIX = "unusual_prefix_"

HOW_TO_FIX = (
    "define it at module level in a module importable by both workers and the triggerer "
    "(an installed package or the plugins folder, not the DAG file) and pass 'package.module.function'"
)


def load_callable(path: str, argument: str, how_to_fix: str = HOW_TO_FIX) -> Callable[..., Any]:
    """Return the callable at dotted ``path``; raise ConfigurationError naming ``argument`` if there is none."""
    module_name, _, name = path.rpartition(".") if isinstance(path, str) else ("", "", "")
    if not module_name or not name:
        raise ConfigurationError(argument, f"expected 'package.module.function', got {path!r}; {how_to_fix}")
    try:
        target = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as error:
        raise ConfigurationError(argument, f"cannot import {path!r} ({error}); {how_to_fix}") from error
    if not callable(target):
        raise ConfigurationError(argument, f"{path!r} is not callable")
    return target  # type: ignore[no-any-return]  # checked callable just above


def why_not_importable(function: Callable[..., Any]) -> str | None:
    """Return why the triggerer could not import ``function`` by a dotted path, or None if it may."""
    if inspect.ismethod(function):
        return f"{function.__qualname__} is a bound method"
    if isinstance(function, functools.partial):
        return "is a functools.partial"
    if not inspect.isfunction(function):
        return f"is a {type(function).__name__} object, not a function"
    if function.__name__ == "<lambda>":
        return "is a lambda"
    if "<locals>" in function.__qualname__:
        return f"{function.__qualname__} is defined inside another function (a closure)"
    module = function.__module__ or ""
    if module == "__main__":
        return f"{function.__qualname__} is defined in __main__, which the triggerer cannot import"
    if module.startswith(DAG_MODULE_PREFIX):
        return f"{function.__qualname__} is defined in a DAG file, which the triggerer does not import"
    return None


def callable_path(target: Callable[..., Any] | str, argument: str, how_to_fix: str = HOW_TO_FIX) -> str:
    """Return the importable dotted path of ``target`` (a function, or a path already), verified to import now.

    Raises ConfigurationError naming ``argument`` and saying how to fix it (:func:`why_not_importable`,
    or a path that does not import to a callable).
    """
    if isinstance(target, str):
        load_callable(target, argument, how_to_fix)
        return target
    problem = why_not_importable(target)
    if problem is not None:
        raise ConfigurationError(argument, f"{problem}; {how_to_fix}")
    path = f"{target.__module__}.{target.__qualname__}"
    try:
        found = load_callable(path, argument, how_to_fix)
    except ConfigurationError as error:
        raise ConfigurationError(argument, f"{target!r} is not importable as {path!r}; {how_to_fix}") from error
    if found is not target:
        raise ConfigurationError(argument, f"{path!r} imports to another object than {target!r}; {how_to_fix}")
    return path
