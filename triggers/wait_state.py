"""What one wait remembers, the same in every mode: its attempt records, its breaker, the breaker's moves.

The trigger's loop keeps a :class:`WaitState` for its deferral, poke mode on the operator across
pokes, reschedule mode saves it after each poke (:mod:`sensors.poke_state`) and restores it in the
next one. Every mode records and paces through the same two methods, so they cannot pace apart.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from triggers.breaker import CircuitBreaker
from triggers.cadence import Cadence, decide
from triggers.history import Attempt, run_of, trailing_run
from triggers.outcomes import NotYet, Outcome
from triggers.prober import MAX_TRANSITIONS

VERSION = 1


@dataclass(slots=True)  # one per waiting trigger: no __dict__
class WaitState:
    """The attempts so far (newest last, at most ``limit``), the breaker and its transitions."""

    limit: int
    breaker: CircuitBreaker | None = None
    records: list[Attempt] = field(default_factory=list)
    transitions: list[dict[str, Any]] = field(default_factory=list)
    #: checks made so far in this wait (records keep only the last ``limit``)
    attempts: int = 0
    #: what a sensor keeps besides (JSON-native: a gather's condition ledger); None, not an empty
    #: dict, for the thousands of waits that keep nothing
    extra: dict[str, Any] | None = None
    #: attempts in a row, the newest included, that ended with the newest one's error (0: no error)
    repeats: int = 0

    def __post_init__(self) -> None:
        if self.records and not self.repeats:  # seeded from a history: count its trailing run
            self.repeats = trailing_run(self.records)

    def repeats_with(self, outcome: Outcome) -> int:
        """Return :attr:`repeats` as it will be once ``outcome`` is recorded."""
        return run_of(outcome.error, self.records[-1].error if self.records else None, self.repeats)

    def record(self, outcome: Outcome, duration: float, now: float) -> Attempt:
        """Append the attempt that ended at ``now`` after ``duration`` seconds; return it."""
        # A list trimmed on append, not a deque(maxlen): a deque allocates a 64-slot block (~0.5 KB)
        # up front, held by every waiting trigger for the whole wait.
        self.repeats = self.repeats_with(outcome)
        self.records.append(Attempt(now - duration, round(duration, 6), outcome.kind, outcome.error))
        if not isinstance(outcome, NotYet):
            self._trim()
        return self.records[-1]

    def pace(self, outcome: NotYet, cadence: Cadence, rng: random.Random) -> float:
        """Return the delay after the newest record (a "not yet"; :func:`triggers.cadence.decide`), stamped there.

        The cadence sees the ``limit`` records before the newest as well, then the oldest goes.
        """
        delay = decide(cadence, self.records, outcome.retry_after, rng)
        self._trim()
        return delay

    def _trim(self) -> None:
        del self.records[: -max(self.limit, 1)]

    @property
    def interval(self) -> float | None:
        """The newest interval decided, or None before any."""
        return next((a.interval for a in reversed(self.records) if a.interval is not None), None)

    def until_probe(self, now: float) -> float:
        """Return the seconds until an open breaker lets a check through (0 when it is not open)."""
        return 0.0 if self.breaker is None else self.breaker.seconds_until_probe(now)

    def to_json(self) -> dict[str, Any]:
        breaker = self.breaker and {k: getattr(self.breaker, k) for k in ("state", "failures", "opened_at")}
        return {
            "version": VERSION,
            "attempts": self.attempts,
            "repeats": self.repeats,
            "extra": self.extra or {},
            "records": [r.to_dict() for r in self.records],
            "transitions": self.transitions[-MAX_TRANSITIONS:],
            "breaker": breaker,
        }

    def restore(self, saved: Any) -> bool:
        """Take the attempts and breaker from ``saved`` (a :meth:`to_json` value); return False if unusable
        (another release's, corrupted: the wait goes on from scratch)."""
        if not isinstance(saved, dict) or saved.get("version") != VERSION:
            return False
        try:
            records = [Attempt.from_dict(r) for r in saved["records"]][-self.limit :]
            transitions = [dict(t) for t in saved["transitions"]]
            attempts = int(saved.get("attempts", len(records)))
            repeats = int(saved.get("repeats", trailing_run(records)))
            extra = dict(saved.get("extra") or {}) or None
            breaker = saved["breaker"]
            if self.breaker is not None and isinstance(breaker, dict):
                state = breaker["state"]
                if state not in ("closed", "open", "half_open"):
                    return False
                failures, opened_at = int(breaker["failures"]), float(breaker["opened_at"])
                self.breaker.state, self.breaker.failures, self.breaker.opened_at = state, failures, opened_at
        except (KeyError, TypeError, ValueError):
            return False
        self.records[:], self.transitions[:] = records, transitions  # in place: the prober holds the list
        self.attempts, self.extra, self.repeats = attempts, extra, repeats
        return True
