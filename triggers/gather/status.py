"""What each condition of a gather last said (:class:`ConditionStatus`), kept for one wait in a :class:`Ledger`."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, get_args

from triggers.history import run_of
from triggers.outcomes import Met, Outcome
from triggers.prober import Log
from triggers.report import MAX_CONDITION_VALUE_CHARS, capped

State = Literal["pending", "ready", "failed", "timed_out"]


@dataclass
class ConditionStatus:
    """One condition's last answer: its state, value, reason and error, and when (epoch seconds).

    ``repeats`` counts the attempts in a row, the last included, that ended with its error.
    """

    name: str
    what: str
    state: State = "pending"
    attempts: int = 0
    value: Any = None
    reason: str = ""
    error: str | None = None
    ready_at: float | None = None
    checked_at: float | None = None
    duration: float | None = None
    checking_since: float | None = None
    deadline: float | None = None
    timed_out: bool = False
    detail: dict[str, Any] = field(default_factory=dict)
    repeats: int = 0

    def __post_init__(self) -> None:
        if self.state not in get_args(State):  # a ledger read back from JSON
            raise ValueError(f"condition {self.name!r}: unknown state {self.state!r}")

    @property
    def open(self) -> bool:  # may still become (or stay) ready
        return self.state in ("pending", "ready")

    def settle(self, outcome: Outcome, duration: float, log: Log, label: str) -> None:
        """Record an attempt's ``outcome``; log it as ``label`` when its state, reason or error changed
        (repeats of the same answer are not changes)."""
        before = (self.state, self.reason, self.error)
        self.attempts += 1
        self.checked_at, self.duration, self.checking_since = round(time.time(), 3), round(duration, 6), None
        self.repeats, self.error = run_of(outcome.error, self.error, self.repeats), outcome.error
        self.detail = capped(dict(outcome.detail), MAX_CONDITION_VALUE_CHARS)
        state: State
        if isinstance(outcome, Met):
            value, reason, state = outcome.value, "", "ready"
        else:
            value, reason = outcome.detail.get("value", self.value), outcome.reason
            state = "failed" if outcome.kind == "failed" else "pending"
        if (state == "ready") != (self.state == "ready"):  # None: asked again (not latched), no longer met
            self.ready_at = self.checked_at if state == "ready" else None
        self.value, self.reason, self.state = capped(value, MAX_CONDITION_VALUE_CHARS), reason, state
        if (state, reason, self.error) == before:
            return
        if state == "ready":
            log.info("condition %r ready on attempt %d (value %.200r)", label, self.attempts, self.value)
        elif state == "failed":
            log.error("condition %r failed on attempt %d: %s", label, self.attempts, reason)
        else:
            again = " any more" if before[0] == "ready" else ""
            error = f" ({self.error})" if self.error else ""
            level = logging.WARNING if self.error else logging.INFO
            log.log(level, "condition %r not ready%s%s: %s (attempt %d)", label, again, error, reason, self.attempts)

    def time_out(self, timeout: float, log: Log, label: str) -> None:
        """Mark this pending condition timed out after ``timeout`` seconds, and log it as ``label``."""
        last = f"; last answer: {self.reason}" if self.reason else ""
        self.state, self.timed_out, self.checking_since = "timed_out", True, None
        self.reason = f"not ready within {timeout:g}s{last}"
        log.warning("condition %r timed out: %s", label, self.reason)


NAMES = frozenset(f.name for f in fields(ConditionStatus))


@dataclass
class Ledger:
    """The statuses of one wait, and the ledgers of nested gathers by condition name.

    The trigger keeps it for the deferral; poke mode keeps it across pokes, and reschedule mode
    between them as JSON, so a latched condition stays met and a change is logged once.
    """

    statuses: dict[str, ConditionStatus] = field(default_factory=dict)
    nested: dict[str, Ledger] = field(default_factory=dict)
    started: float | None = None

    def child(self, name: str) -> Ledger:
        return self.nested.setdefault(name, Ledger())

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Ledger:
        """Rebuild a ledger from :meth:`to_json`; raise KeyError, TypeError or ValueError if malformed."""
        statuses = {
            name: ConditionStatus(**{k: v for k, v in s.items() if k in NAMES}) for name, s in data["statuses"].items()
        }
        nested = {name: cls.from_json(saved) for name, saved in data["nested"].items()}
        return cls(statuses, nested, None if data["started"] is None else float(data["started"]))
