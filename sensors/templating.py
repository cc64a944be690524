"""Templated sensor arguments: what is still a template, what stands in for it, what it renders to.

A DAG author templates any argument (``order_id="{{ dag_run.conf['order_id'] }}"``) or passes an
upstream task's output (``order_id=upstream.output``). At DAG parse time such a value cannot be
judged, so a valid stand-in takes its place while the other arguments are validated; once
Airflow has rendered it, the sensor validates again (see ``DeferrableSensor.render_template_fields``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from airflow.sdk.definitions._internal.mixins import ResolveMixin
from airflow.sdk.definitions._internal.types import ArgNotSet

#: A leaf inside a templated list or dict stands in as this when its field says nothing better.
TEXT_STAND_IN = "templated"

_JINJA_MARKERS = ("{{", "{%")
_WHOLE_NUMBER = re.compile(r"[+-]?\d+")


def is_template(value: Any) -> bool:
    """Return True when ``value`` is (or holds) something only rendering can turn into a value.

    That is Jinja text, an XComArg (or any other runtime-resolved value), or Airflow's NOTSET.
    """
    if isinstance(value, str):
        return any(marker in value for marker in _JINJA_MARKERS)
    if isinstance(value, (ResolveMixin, ArgNotSet)):
        return True
    if isinstance(value, Mapping):
        return any(is_template(k) or is_template(v) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(is_template(item) for item in value)
    return False


@dataclass(frozen=True)
class StandIn:
    """A stand-in given both ways: for the whole value, and for a templated leaf inside it."""

    whole: Any
    leaf: Any


def stand_in(value: Any, whole: Any) -> Any:
    """Return ``value`` with what is still a template replaced by a valid stand-in.

    The whole value stands in as ``whole``; a leaf inside a list, tuple or dict (at any depth)
    stands in as the first item of ``whole`` when that is a non-empty list or tuple, as ``whole``
    when that is a scalar, else as :data:`TEXT_STAND_IN`; a :class:`StandIn` says both outright.
    Dict keys and other leaves are kept, so checks on them (a credential-like header name) still run.
    """
    if isinstance(whole, StandIn):
        leaf, whole = whole.leaf, whole.whole
    else:
        leaf = _leaf_of(whole)
    if not is_template(value):
        return value
    if isinstance(value, str) or not isinstance(value, (Mapping, list, tuple, set, frozenset)):
        return whole
    return _replace_leaves(value, leaf)


def _replace_leaves(value: Any, leaf: Any) -> Any:
    if not is_template(value):
        return value
    if isinstance(value, Mapping):
        return {k: _replace_leaves(v, leaf) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return type(value)(_replace_leaves(item, leaf) for item in value)
    return leaf


def _leaf_of(whole: Any) -> Any:
    if isinstance(whole, (list, tuple)):
        return whole[0] if whole else TEXT_STAND_IN
    if isinstance(whole, (Mapping, set, frozenset)):
        return TEXT_STAND_IN
    return whole


def whole_numbers(value: Any) -> Any:
    """Return ``value`` with whole-number text (``"2"``, as Jinja renders it) as an int, in lists and dicts too."""
    if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value.strip()):
        return int(value)
    if isinstance(value, (list, tuple)):
        return type(value)(whole_numbers(item) for item in value)
    if isinstance(value, Mapping):
        return {k: whole_numbers(v) for k, v in value.items()}
    return value


@contextmanager
def standing_in(
    target: Any, stand_ins: Mapping[str, Any], fields: Iterator[str] | tuple[str, ...]
) -> Iterator[set[str]]:
    """Swap each of ``fields`` that is still a template on ``target`` for its stand-in; yield their names.

    The values are put back on exit. Attributes are swapped in ``vars(target)`` so that an
    operator's ``__setattr__`` (which tracks XComArg dependencies) sees nothing.
    """
    attributes = vars(target)
    saved = {name: attributes[name] for name in fields if name in attributes and is_template(attributes[name])}
    try:
        for name, value in saved.items():
            attributes[name] = stand_in(value, stand_ins.get(name, TEXT_STAND_IN))
        yield set(saved)
    finally:
        attributes.update(saved)
