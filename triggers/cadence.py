"""Cadences: how long to wait before the next check, given the attempts so far.

Each cadence is a pure function of the attempt history and an injected random source, so tests
assert exact delay sequences. Backoff is written here rather than taken from tenacity because
tenacity's jitter draws from the process-global ``random`` module, which a test cannot seed per
trigger, and its strategies count retries of one call, not attempts of a wait.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from triggers.errors import ConfigurationError
from triggers.history import Attempt
from triggers.spec import Spec
from triggers.validation import require_number, require_positive

#: A source's Retry-After is honoured up to this many seconds; a larger one is clamped (the
#: deadline still applies) so a misconfigured server cannot park a sensor for a day.
MAX_RETRY_AFTER = 3600.0


def decide(cadence: Cadence, records: list[Attempt], retry_after: float | None, rng: random.Random) -> float:
    """Return the delay after the newest of ``records`` and stamp it on that record, in place.

    The cadence's delay, stretched to a Retry-After: one rule that the trigger's loop and the poke /
    reschedule sensor both ask. The newest record's own interval is left out, so deciding twice gives
    the same answer; with no records it is the cadence's first delay.
    """
    latest = [replace(records[-1], interval=None)] if records else []
    delay = cadence.next_delay((*records[:-1], *latest), rng)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    if latest:
        records[-1] = replace(latest[0], interval=round(delay, 3))
    return delay


#: Cadences rebuilt from equal JSON, shared (frozen ones only); cleared when it reaches its bound.
_SHARED: dict[tuple[object, ...], Cadence] = {}
SHARED_CADENCES_MAX = 256


def shared_cadence(data: Mapping[str, Any]) -> Cadence:
    """Return ``Cadence.from_dict(data)``, one instance for every equal ``data`` of a frozen cadence.

    A triggerer rebuilds thousands of waits with the same cadence. Raises what ``from_dict`` raises.
    """
    try:
        key = tuple((name, type(value), value) for name, value in data.items())
        found = _SHARED.get(key)
    except (AttributeError, TypeError):  # not a mapping, or unhashable values: from_dict says what is wrong
        return Cadence.from_dict(data)
    if found is None:
        found = Cadence.from_dict(data)
        params = getattr(type(found), "__dataclass_params__", None)
        if params is None or not params.frozen:
            return found
        if len(_SHARED) >= SHARED_CADENCES_MAX:
            _SHARED.clear()
        _SHARED[key] = found
    return found


class Cadence(Spec):
    """Base of all cadences."""

    registry: ClassVar[dict[str, type[Spec]]] = {}

    def next_delay(self, history: Sequence[Attempt], rng: random.Random) -> float:
        """Return the seconds to wait after the last attempt in ``history``."""
        raise NotImplementedError

    def shortest_delay(self) -> float:
        """Return the shortest delay this cadence waits after a clean "not yet" (jitter at its most)."""
        return self.next_delay((), random.Random(0))


@dataclass(frozen=True)
class Fixed(Cadence):
    """The same delay after every attempt."""

    kind: ClassVar[str] = "fixed"
    interval: float

    def __post_init__(self) -> None:
        require_positive("poke_interval", self.interval)

    def next_delay(self, history: Sequence[Attempt], rng: random.Random) -> float:
        return self.interval


@dataclass(frozen=True)
class Backoff(Cadence):
    """``base`` after a clean "not yet"; after k consecutive errors ``base * factor**k``, capped.

    Jitter subtracts up to ``jitter`` (a fraction) of the delay, so the cap is never exceeded and
    many sensors failing together spread out instead of retrying in step.
    """

    kind: ClassVar[str] = "backoff"
    base: float
    factor: float = 2.0
    cap: float = 300.0
    jitter: float = 0.2

    def __post_init__(self) -> None:
        require_positive("poke_interval", self.base)
        require_positive("backoff_cap", self.cap)
        if self.cap < self.base:
            raise ConfigurationError("backoff_cap", f"must be >= poke_interval ({self.base}), got {self.cap}")
        require_number("backoff_factor", self.factor, "[1, inf)")
        require_number("backoff_jitter", self.jitter, "[0, 1)")

    def shortest_delay(self) -> float:
        return self.base * (1.0 - self.jitter)

    def next_delay(self, history: Sequence[Attempt], rng: random.Random) -> float:
        errors = next((n for n, a in enumerate(reversed(history)) if not a.errored), len(history))  # in a row
        # Cap the exponent too: factor ** 10_000 overflows a float long before the cap applies.
        delay = min(self.cap, self.base * self.factor ** min(errors, 64))
        return delay * (1.0 - self.jitter * rng.random())
