"""Module-level functions the SQL tests pass as success / failure / selector (importable by dotted path)."""

from typing import Any


def at_least_three(value: Any) -> bool:
    return value is not None and int(value) >= 3


def negative(value: Any) -> bool:
    return value is not None and int(value) < 0


def second_cell(row: tuple[Any, ...]) -> Any:
    return row[1]
