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


def require_number(argument: str, value: Any, interval: str) -> float:
    """Return ``value`` as a float; raise ConfigurationError naming ``argument`` unless it lies in
    ``interval``, written as in mathematics: ``"(0, 1]"``, ``"[1, inf)"``."""
    low, high = (float(end) for end in interval[1:-1].split(","))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigurationError(argument, f"must be a number in {interval}, got {value!r}")
    above = low < value if interval[0] == "(" else low <= value
    below = value < high if interval[-1] == ")" else value <= high
    if not (above and below):
        raise ConfigurationError(argument, f"must be a number in {interval}, got {value!r}")
    return float(value)


def require_whole(
    argument: str, value: Any, minimum: int | None = 1, *, maximum: int | None = None, unit: str = ""
) -> int:
    """Return ``value``; raise ConfigurationError naming ``argument`` unless it is a whole number
    from ``minimum`` to ``maximum`` (None: unbounded).

    ``unit`` names what is counted in the message ("bytes": "a whole number of bytes >= 1").
    """
    too_low = minimum is not None and isinstance(value, int) and value < minimum
    too_high = maximum is not None and isinstance(value, int) and value > maximum
    if isinstance(value, bool) or not isinstance(value, int) or too_low or too_high:
        counted = f" of {unit}" if unit else ""
        bounds = (
            f" from {minimum} to {maximum}" if maximum is not None else f" >= {minimum}" if minimum is not None else ""
        )
        raise ConfigurationError(argument, f"must be a whole number{counted}{bounds}, got {value!r}")
    return value


def require_bool(argument: str, value: Any) -> bool:
    """Return ``value``; raise ConfigurationError naming ``argument`` unless it is True or False."""
    if not isinstance(value, bool):
        raise ConfigurationError(argument, f"must be True or False, got {value!r}")
    return value
