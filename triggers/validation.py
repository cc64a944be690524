"""Argument checks shared by sensors and triggers; each raises ConfigurationError naming the argument.

``True`` is an ``int`` to Python but never a number of seconds or a count to a DAG author: every
check here refuses booleans.
"""

from __future__ import annotations

from typing import Any

from triggers.errors import ConfigurationError


def require_positive(argument: str, value: Any, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float; raise ConfigurationError naming ``argument`` unless it is > 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigurationError(argument, f"must be a number of seconds, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ConfigurationError(argument, f"must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    return float(value)


def require_whole(argument: str, value: Any, minimum: int = 1, *, unit: str = "") -> int:
    """Return ``value``; raise ConfigurationError naming ``argument`` unless it is a whole number >= minimum.

    ``unit`` names what is counted in the message ("bytes": "a whole number of bytes >= 1").
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        counted = f" of {unit}" if unit else ""
        raise ConfigurationError(argument, f"must be a whole number{counted} >= {minimum}, got {value!r}")
    return value


def require_bool(argument: str, value: Any) -> bool:
    """Return ``value``; raise ConfigurationError naming ``argument`` unless it is True or False."""
    if not isinstance(value, bool):
        raise ConfigurationError(argument, f"must be True or False, got {value!r}")
    return value
