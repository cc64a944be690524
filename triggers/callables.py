"""Conditions written as plain Python functions (the seed's ``conditions: Dict[str, Callable]``), by dotted path.

A deferred wait's triggerer rebuilds every condition from JSON and imports its function by dotted
path, so only a module-level function of a module importable there qualifies (a package on the
PYTHONPATH, or the plugins folder). Not one from a DAG file: Airflow loads those under generated
module names (``unusual_prefix_...``), importable where the DAG was parsed and nowhere else. What
does not qualify is refused at parse time with the fix in the message. Poke mode runs in the
worker and takes any callable.

The function may be sync (run in a worker thread, never on the loop) or async, and returns
``bool``, ``(bool, value)`` or an Outcome. What it raises is classified like any check's
exception. An attempt timeout abandons a sync function still running, but its thread runs on
and holds one of the loop's default executor threads: give such functions I/O timeouts.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import inspect
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from triggers.checks import Check, Probe
from triggers.errors import ConfigurationError, PermanentError
from triggers.outcomes import Failed, Met, NotYet, Outcome
from triggers.secret_names import refuse_secret_arguments
from triggers.shared_source import shared_probe
from triggers.validation import require_bool

CONDITION_HOW_TO_FIX = (
    "the triggerer rebuilds conditions from a dotted path, so move it to a module-level function in an "
    "importable module (a package on the PYTHONPATH, or the plugins folder; not the DAG file) and pass that "
    "function or its dotted path, or set deferrable=False to poke from a worker"
)

_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")

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


async def call(function: Callable[..., Any], kwargs: Mapping[str, Any], what: str) -> Outcome:
    """Return the outcome of ``function(**kwargs)``: awaited when async, in a worker thread when sync.

    Raises PermanentError when it returned neither a bool, a (bool, value) pair nor an Outcome.
    """
    if inspect.iscoroutinefunction(function):
        result = await function(**kwargs)
    else:
        result = await asyncio.to_thread(function, **kwargs)
        if inspect.isawaitable(result):
            result = await result
    if isinstance(result, (Met, NotYet, Failed)):
        return result
    if isinstance(result, bool):
        return Met(True) if result else NotYet(f"{what} returned False")
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], bool):
        try:
            value = result[1]
            json.dumps(value)
        except (TypeError, ValueError):  # reports are JSON
            value = str(value)
        if result[0]:
            return Met(value)
        return NotYet(f"{what} returned (False, {value!r:.100})", detail={"value": value})
    raise PermanentError(f"{what} returned {type(result).__name__}; return a bool or a (bool, value) pair")


@functools.lru_cache(maxsize=256)
def _resolved(target: str) -> Callable[..., Any]:
    """Return the function at ``target``; imports, so call it off the loop."""
    return load_callable(target, "target")


@dataclass(frozen=True)
class CallableCheck(Check):
    """Call the module-level function at ``target`` with ``kwargs`` (JSON values).

    ``kwargs`` travel in trigger kwargs, so a name that looks like a secret's (``api_token``,
    ``password``) or a value that is a credential URL is refused: pass a connection id instead.
    With ``share_probe`` (the default) waits making the same call in one event loop share each
    call; a function that must run once per wait (side effects, per-wait state) needs False.
    """

    kind: ClassVar[str] = "callable"
    target: str
    kwargs: Mapping[str, Any] = field(default_factory=dict, hash=False)
    share_probe: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.target, str) or not _DOTTED.match(self.target):
            raise ConfigurationError(
                "target", f"must be a dotted path such as 'package.module.function', got {self.target!r}"
            )
        if not isinstance(self.kwargs, Mapping) or not all(isinstance(k, str) for k in self.kwargs):
            raise ConfigurationError("kwargs", f"must map argument names to JSON values, got {self.kwargs!r:.100}")
        try:
            json.dumps(dict(self.kwargs))
        except (TypeError, ValueError) as error:
            raise ConfigurationError(
                "kwargs", f"must be JSON-serialisable (they travel to the triggerer): {error}"
            ) from error
        refuse_secret_arguments(self.kwargs, "kwargs")
        require_bool("share_probe", self.share_probe)

    @classmethod
    def of(cls, function: Callable[..., Any] | str, *, name: str, **kwargs: Any) -> CallableCheck:
        """Return the check for ``function`` (or its dotted path), verified importable now.

        Raises ConfigurationError naming ``conditions[name]`` and saying how to fix it.
        """
        return cls(callable_path(function, f"conditions[{name!r}]", CONDITION_HOW_TO_FIX), kwargs)

    def describe(self) -> str:
        return f"callable {self.target}"

    def opened(self) -> contextlib.AbstractAsyncContextManager[Probe]:
        """With ``share_probe``, waits calling the same function with the same arguments in the
        event loop share each call; each takes its outcome."""
        if not self.share_probe:
            return super().opened()
        return shared_probe(self.source_key(), lambda _resources, _interests: self.check(), _as_it_is)

    def source_key(self) -> str:
        """Return what makes two checks the same call: the function and its arguments."""
        return "callable " + json.dumps([self.target, dict(self.kwargs)], sort_keys=True)

    async def check(self) -> Outcome:
        """Import the function (off the loop, once) and call it; import failures are permanent."""
        try:
            function = await asyncio.to_thread(_resolved, self.target)
        except ConfigurationError as error:
            raise PermanentError(f"cannot import {self.target}: {error.problem}") from error
        return await call(function, self.kwargs, self.target)


async def _as_it_is(outcome: Outcome) -> Outcome:
    return outcome


@dataclass(frozen=True)
class InProcessCallable(Check):
    """Any callable, for poke mode only: it never leaves the worker, so it is never serialised."""

    function: Callable[..., Any]

    def describe(self) -> str:
        return f"callable {getattr(self.function, '__qualname__', repr(self.function))}"

    def to_dict(self) -> dict[str, Any]:
        raise TypeError(f"{self.describe()} runs in poke mode only and cannot be sent to the triggerer")

    async def check(self) -> Outcome:
        return await call(self.function, {}, self.describe())
