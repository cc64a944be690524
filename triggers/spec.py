"""Frozen parameter objects that serialise to plain JSON as ``{"kind": ..., **params}``.

Checks and cadences are specs: the sensor builds them (validating every argument), the trigger
carries them in its kwargs as JSON, and the triggerer rebuilds them. Each family (checks,
cadences) keeps its own registry of kinds.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from triggers.errors import ConfigurationError

S = TypeVar("S", bound="Spec")


#: Types encode() returns as they are (exact types: a subclass, such as an enum, takes the long way).
_PLAIN = frozenset({str, int, float, bool, type(None)})


def encode(value: Any) -> Any:
    """Return ``value`` as JSON-native data: specs as dicts, tuples as lists."""
    if type(value) in _PLAIN:
        return value
    if isinstance(value, Spec):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): encode(item) for key, item in value.items()}
    return value


#: Where each kind this package ships is defined: a triggerer rebuilding a gather imports just the
#: module of a nested kind (the whole package would block its loop for a second). Kept in step with
#: the classes by tests/triggers/test_spec.py.
KIND_MODULES: dict[str, str] = {
    "fixed": "triggers.cadence",
    "backoff": "triggers.cadence",
    "adaptive": "triggers.adaptive.rule",
    "learned": "triggers.adaptive.learned",
    "file": "triggers.files.check",
    "http": "triggers.http.check",
    "callable": "triggers.callables",
    "not": "triggers.gather.composition",
    "all_of": "triggers.gather.composition",
    "any_of": "triggers.gather.composition",
    "at_least": "triggers.gather.composition",
    "json_date": "triggers.conditions",
    "order_json": "triggers.orders.checks",
    "order_sql": "triggers.orders.checks",
    "sql_query": "triggers.sql.check",
}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    """Return the dataclass field names of a spec class (found once per class, not once per to_dict)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls) if f.init)
    return names


class Spec:
    """Base of a serialisable family. Subclasses are frozen dataclasses with a ``kind``."""

    __slots__ = ()  # a subclass may be slotted (no per-instance __dict__)
    kind: ClassVar[str] = ""
    registry: ClassVar[dict[str, type[Spec]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "registry" in cls.__dict__:
            return  # a family root: it starts its own registry
        if cls.kind:
            existing = cls.registry.get(cls.kind)
            if existing is not None and existing.__qualname__ != cls.__qualname__:
                raise TypeError(f"kind {cls.kind!r} is taken by {existing.__qualname__}")
            cls.registry[cls.kind] = cls

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"kind": ..., **params}`` with JSON-native values."""
        params = {name: encode(getattr(self, name)) for name in _field_names(type(self))}
        return {"kind": self.kind, **params}

    @classmethod
    def from_params(cls: type[S], params: dict[str, Any]) -> S:
        """Build from decoded params; families with nested specs override this."""
        return cls(**params)

    @classmethod
    def from_dict(cls: type[S], data: Mapping[str, Any]) -> S:
        """Rebuild a spec of this family from ``to_dict()`` output.

        Raises ConfigurationError for an unknown kind or unknown/missing parameters.
        """
        if not isinstance(data, Mapping) or "kind" not in data:
            raise ConfigurationError(cls.__name__.lower(), f"expected a mapping with a 'kind', got {data!r}")
        params = dict(data)
        kind = params.pop("kind")
        target = cls.registry.get(kind)
        if target is None and kind in KIND_MODULES:
            importlib.import_module(KIND_MODULES[kind])
            target = cls.registry.get(kind)
        if target is None or not issubclass(target, cls):
            known = ", ".join(sorted(k for k, t in cls.registry.items() if issubclass(t, cls)))
            raise ConfigurationError(cls.__name__.lower(), f"unknown kind {kind!r} (known: {known})")
        try:
            return target.from_params(params)
        except TypeError as error:
            raise ConfigurationError(kind, f"bad parameters {sorted(params)}: {error}") from error
