"""What a JSON body must say: a subset of it (``expected_response``) and field comparisons.

Both answer with a reason when they do not hold, so a "not yet" says which field disagreed.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from triggers.errors import ConfigurationError
from triggers.spec import Spec

_MISSING = object()
#: JSON's leaf types: never mappings
_LEAVES = frozenset({str, int, float, bool, type(None)})

_COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "in": lambda actual, allowed: actual in allowed,
}
OPERATORS = (*_COMPARISONS, "exists")


def lookup(body: Any, path: str) -> Any:
    """Return the value at dot ``path`` in ``body`` (digits index lists), or ``_MISSING``."""
    current = body
    for part in path.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.lstrip("-").isdigit() and -len(current) <= int(part) < len(current):
            current = current[int(part)]
        else:
            return _MISSING
    return current


def subset_mismatch(expected: Any, actual: Any, where: str = "") -> str | None:
    """Return why ``expected`` is not a subset of ``actual`` (dicts by key, the rest by equality), or None."""
    # dict first: JSON gives dicts, and an ABC check of every leaf value would cost more than the comparison
    if type(expected) not in _LEAVES and isinstance(expected, (dict, Mapping)):
        if not isinstance(actual, (dict, Mapping)):
            return f"{where or 'body'}: expected an object, got {_short(actual)}"
        for key, value in expected.items():
            path = f"{where}.{key}" if where else str(key)
            if key not in actual:
                return f"{path}: missing"
            mismatch = subset_mismatch(value, actual[key], path)
            if mismatch is not None:
                return mismatch
        return None
    if expected != actual or isinstance(expected, bool) != isinstance(actual, bool):  # True == 1 in Python
        return f"{where or 'body'}: expected {_short(expected)}, got {_short(actual)}"
    return None


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class FieldExpectation(Spec):
    """One comparison on a field of the JSON body, e.g. ``FieldExpectation("catalog.version", ">", 100)``.

    :param path: dot path into the body; digit parts index lists (``"items.0.id"``).
    :param op: one of ``==  !=  >  >=  <  <=  in  exists``.
    :param value: the right-hand side (a list for ``in``; ignored by ``exists``).
    """

    registry: ClassVar[dict[str, type[Spec]]] = {}
    kind: ClassVar[str] = "field"
    path: str
    op: str = "exists"
    value: Any = None

    def __post_init__(self) -> None:
        if not isinstance(self.path, str) or not self.path or any(not p for p in self.path.split(".")):
            raise ConfigurationError("field_expectations", f"path must be a dot path like 'a.b', got {self.path!r}")
        if self.op not in OPERATORS:
            raise ConfigurationError("field_expectations", f"op must be one of {', '.join(OPERATORS)}, got {self.op!r}")
        if self.op == "in" and not isinstance(self.value, (list, tuple)):
            raise ConfigurationError("field_expectations", f"'in' needs a list of values, got {self.value!r}")
        if isinstance(self.value, tuple):
            object.__setattr__(self, "value", list(self.value))  # the JSON shape, so round trips are equal

    @classmethod
    def coerce(cls, item: Any) -> FieldExpectation:
        """Return ``item`` as an expectation: one already, a dict (with or without ``kind``) or a tuple."""
        if isinstance(item, FieldExpectation):
            return item
        if isinstance(item, Mapping):
            params = {k: v for k, v in item.items() if k != "kind"}
            try:
                return cls(**params)
            except TypeError as error:
                raise ConfigurationError("field_expectations", f"bad expectation {dict(item)!r}: {error}") from error
        if isinstance(item, Sequence) and not isinstance(item, str) and 1 <= len(item) <= 3:
            return cls(*item)
        raise ConfigurationError("field_expectations", f"expected (path, op, value), got {item!r}")

    def mismatch(self, body: Any) -> str | None:
        """Return why the body does not meet this expectation, or None when it does."""
        actual = lookup(body, self.path)
        if self.op == "exists":
            return None if actual is not _MISSING else f"{self.path}: missing"
        if actual is _MISSING:
            return f"{self.path}: missing"
        try:
            held = bool(_COMPARISONS[self.op](actual, self.value))
        except TypeError:
            return f"{self.path}: cannot compare {_short(actual)} {self.op} {_short(self.value)}"
        return None if held else f"{self.path}: {_short(actual)} is not {self.op} {_short(self.value)}"

    def __str__(self) -> str:
        return f"{self.path} exists" if self.op == "exists" else f"{self.path} {self.op} {self.value!r}"
