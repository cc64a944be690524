"""Placeholders: one way to write parameters in the SQL, bound by each driver in its own style.

Write ``%s`` (with a list of ``parameters``) or ``%(name)s`` (with a dict), as with psycopg2 and
mysqlclient, which is what SqlSensor users on PostgreSQL and MySQL write; ``%%`` is a literal
``%`` (only when parameters are given, as with those drivers). The same SQL then runs on every
database: ``$1, $2`` for asyncpg, ``%s`` for aiomysql, ``?`` for SQLite. A query with no
``%s`` / ``%(name)s`` at all is passed to the driver untouched, so each database's own style
also works: ``$1`` on PostgreSQL, ``?`` and ``:name`` on SQLite.

Values are never written into the SQL here: the driver binds them (asyncpg and sqlite3 send
them apart from the statement; aiomysql escapes them for its protocol, as every MySQL DB-API
driver does). A placeholder inside a string literal is a placeholder too, as with psycopg2.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from triggers.errors import ConfigurationError

Dialect = Literal["postgres", "mysql", "sqlite"]
Parameters = Sequence[Any] | Mapping[str, Any] | None

# %% or %s or %(name)s, or any other % (an error in the pyformat style).
_TOKEN = re.compile(r"%(?:(%)|(s)|\((\w+)\)s|(.?))", re.DOTALL)
_PYFORMAT = re.compile(r"%(?:s|\(\w+\)s)")


@dataclass(frozen=True)
class Bound:
    """The SQL in a driver's own style and the values it binds."""

    sql: str
    arguments: Sequence[Any] | Mapping[str, Any] | None


def validate_parameters(value: Any) -> Parameters:
    """Return ``value`` (a list as a tuple); raise ConfigurationError unless None, a list or a dict of JSON values."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise ConfigurationError("parameters", f"names must be text, got {list(value)!r:.100}")
        parameters: Parameters = dict(value)
    elif isinstance(value, (list, tuple)):
        parameters = tuple(value)
    else:
        raise ConfigurationError("parameters", f"must be a list (for %s) or a dict (for %(name)s), got {value!r:.100}")
    try:
        json.dumps(parameters)
    except (TypeError, ValueError) as error:
        raise ConfigurationError(
            "parameters", f"must be JSON values (they travel to the triggerer): {error}"
        ) from error
    return parameters


def uses_pyformat(sql: str) -> bool:
    """Return True when ``sql`` holds a ``%s`` or ``%(name)s`` placeholder."""
    return _PYFORMAT.search(sql) is not None


def bind(sql: str, parameters: Parameters, dialect: Dialect) -> Bound:
    """Return ``sql`` with its placeholders in ``dialect``'s style and the values in binding order.

    Raises ConfigurationError (naming ``parameters`` or ``sql``) when placeholders and values do
    not match: a %s with a dict, a %(name)s with a list or without its name, a count that differs,
    or a lone %.
    """
    if parameters is None:
        return Bound(sql, None if dialect == "mysql" else ())
    if not uses_pyformat(sql):
        if dialect == "mysql" and parameters:
            raise ConfigurationError("sql", "has no %s or %(name)s placeholder for its parameters")
        if dialect == "sqlite":
            return Bound(sql, parameters)
        if isinstance(parameters, Mapping):
            raise ConfigurationError("parameters", "a dict needs %(name)s placeholders in the SQL ($n is positional)")
        return Bound(sql, list(parameters))
    named = isinstance(parameters, Mapping)
    pieces: list[str] = []
    values: list[Any] = []
    numbers: dict[str, int] = {}
    position = 0
    at = 0
    for match in _TOKEN.finditer(sql):
        pieces.append(sql[at : match.start()])
        at = match.end()
        percent, positional, name, other = match.groups()
        if percent:
            pieces.append("%%" if dialect == "mysql" else "%")
            continue
        if other is not None:
            raise ConfigurationError("sql", f"has a lone % at offset {match.start()}; write %% for a literal %")
        if positional:
            if named:
                raise ConfigurationError("sql", "uses %s, which takes a list of parameters, but parameters is a dict")
            if position >= len(parameters):
                raise ConfigurationError("parameters", f"has {len(parameters)} values, the SQL more %s placeholders")
            value = parameters[position]  # type: ignore[index]  # not named: a sequence
            position += 1
            key = None
        else:
            if not named:
                raise ConfigurationError("sql", f"uses %({name})s, which takes a dict of parameters, not a list")
            if name not in parameters:
                raise ConfigurationError("parameters", f"has no value for %({name})s")
            value = parameters[name]  # type: ignore[index]  # named: a mapping
            key = name
        pieces.append(_placeholder(dialect, key, numbers, values, value))
    pieces.append(sql[at:])
    if not named and position != len(parameters):
        raise ConfigurationError("parameters", f"has {len(parameters)} values for {position} %s placeholders")
    return Bound("".join(pieces), values)


def _placeholder(dialect: Dialect, key: str | None, numbers: dict[str, int], values: list[Any], value: Any) -> str:
    if dialect == "postgres":
        # A name used twice is bound once: $n refers back to it.
        if key is not None and key in numbers:
            return f"${numbers[key]}"
        values.append(value)
        if key is not None:
            numbers[key] = len(values)
        return f"${len(values)}"
    values.append(value)
    return "%s" if dialect == "mysql" else "?"
