"""Database values in and out: parameters fitted for asyncpg, and what a query returns as JSON.

SqlSensor users pass parameters as JSON and templates (``"{{ ds }}"``): strings. psycopg2 sends
them as text and the server casts; asyncpg encodes each value for the parameter's type and
refuses a ``str`` for a ``date``. So a string bound to a number, date, time stamp, boolean or
UUID parameter is parsed here first (a bad one is a permanent error naming the parameter), and a
number bound to a text parameter is sent as its text. Everything else goes as it is.

What a query returns becomes an XCom and an event payload, so it is made JSON-native.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from triggers.errors import PermanentError


def _boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"t", "true", "yes", "on", "1"}:
        return True
    if lowered in {"f", "false", "no", "off", "0"}:
        return False
    raise ValueError(f"not a boolean: {text!r}")


#: How a string becomes the value a PostgreSQL parameter type needs.
FROM_TEXT: dict[str, Callable[[str], Any]] = {
    "int2": int,
    "int4": int,
    "int8": int,
    "numeric": Decimal,
    "float4": float,
    "float8": float,
    "date": date.fromisoformat,
    "time": time.fromisoformat,
    "timestamp": datetime.fromisoformat,
    "timestamptz": datetime.fromisoformat,
    "bool": _boolean,
    "uuid": uuid.UUID,
}
TEXT_TYPES = frozenset({"text", "varchar", "bpchar", "name"})


def coerce_arguments(arguments: Sequence[Any], types: Sequence[str]) -> list[Any]:
    """Return ``arguments`` fitted to the parameter ``types`` (asyncpg type names, in order).

    Raises PermanentError when a string cannot be read as its parameter's type.
    """
    fitted: list[Any] = []
    for position, (value, kind) in enumerate(zip(arguments, types, strict=False), start=1):
        parse = FROM_TEXT.get(kind)
        if isinstance(value, str) and parse is not None:
            try:
                value = parse(value)
            except (ValueError, InvalidOperation) as error:
                raise PermanentError(f"parameter {position} must be a {kind}, got {value!r:.80}: {error}") from error
        elif kind in TEXT_TYPES and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            value = str(value)
        fitted.append(value)
    fitted.extend(arguments[len(types) :])
    return fitted


def jsonable(value: Any) -> Any:
    """Return ``value`` as JSON-native data: decimals as floats, dates as ISO text, bytes as hex."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)
