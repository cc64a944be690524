"""Per-condition status: what each condition of a gather last said, and since when.

A :class:`Ledger` holds the statuses of one wait. The trigger keeps it for the whole deferral;
the sensor keeps it across pokes in poke mode, so a latched condition stays met and a change is
logged once, not on every poke.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields
from typing import Any, Literal, get_args

from triggers.history import run_of
from triggers.outcomes import Met, Outcome
from triggers.prober import Log
from triggers.value_cap import MAX_CONDITION_VALUE_CHARS, capped

State = Literal["pending", "ready", "failed", "timed_out"]


@dataclass
class ConditionStatus:
    """What one condition last said.

    ``state`` is pending (not met yet, or its answer is still coming), ready, failed (the
    condition said it can never be met) or timed_out (not ready within its own timeout).
    ``value`` is the last value it reported, ``reason``/``error`` its last not-yet or failure
    reason and error class; ``attempts`` counts finished attempts; ``ready_at``, ``checked_at``,
    ``checking_since`` and ``deadline`` are epoch seconds.
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
    #: attempts in a row, the last included, that ended with its error (0: no error)
    repeats: int = 0

    @property
    def open(self) -> bool:
        """True while the condition may still become (or stay) ready."""
        return self.state in ("pending", "ready")

    def settle(self, outcome: Outcome, *, at: float, duration: float) -> None:
        """Record one finished attempt."""
        self.attempts += 1
        self.checked_at = at
        self.duration = round(duration, 6)
        self.checking_since = None
        self.repeats = run_of(outcome.error, self.error, self.repeats)
        self.error = outcome.error
        self.detail = capped(dict(outcome.detail), MAX_CONDITION_VALUE_CHARS)
        if isinstance(outcome, Met):
            self.value = capped(outcome.value, MAX_CONDITION_VALUE_CHARS)
            self.reason = ""
            if self.state != "ready":
                self.ready_at = at
            self.state = "ready"
            return
        self.value = capped(outcome.detail.get("value", self.value), MAX_CONDITION_VALUE_CHARS)
        self.reason = outcome.reason
        if self.state == "ready":
            self.ready_at = None  # re-checked (not latched) and no longer met
        self.state = "failed" if outcome.kind == "failed" else "pending"

    def time_out(self, timeout: float) -> None:
        """Mark the condition as not ready within ``timeout`` seconds."""
        self.state = "timed_out"
        self.timed_out = True
        self.checking_since = None
        last = f"; last answer: {self.reason}" if self.reason else ""
        self.reason = f"not ready within {timeout:g}s{last}"

    def key(self) -> tuple[str, str, str | None]:
        """Return what a change is judged on: repeats of the same answer are not changes."""
        return (self.state, self.reason, self.error)

    def to_dict(self) -> dict[str, Any]:
        """Return the status as JSON-native data for the report and the XCom.

        Values are shared, not copied (``asdict`` deep-copies, which dominated a round's cost):
        the report is serialised straight away.
        """
        return {f.name: getattr(self, f.name) for f in FIELDS}


FIELDS = fields(ConditionStatus)


@dataclass
class Ledger:
    """The statuses of one wait, and the ledgers of nested gathers by condition name."""

    statuses: dict[str, ConditionStatus] = field(default_factory=dict)
    nested: dict[str, Ledger] = field(default_factory=dict)
    started: float | None = None

    def child(self, name: str) -> Ledger:
        """Return the ledger of the nested gather named ``name``."""
        return self.nested.setdefault(name, Ledger())

    def to_json(self) -> dict[str, Any]:
        """Return the ledger as JSON-native data (reschedule mode keeps it between pokes)."""
        return {
            "started": self.started,
            "statuses": {name: status.to_dict() for name, status in self.statuses.items()},
            "nested": {name: ledger.to_json() for name, ledger in self.nested.items()},
        }

    @classmethod
    def from_json(cls, data: Any) -> Ledger:
        """Rebuild a ledger from :meth:`to_json`; raise KeyError, TypeError or ValueError if malformed."""
        statuses = {}
        for name, saved in data["statuses"].items():
            status = ConditionStatus(**{f.name: saved[f.name] for f in FIELDS if f.name in saved})
            if status.state not in get_args(State):
                raise ValueError(f"condition {name!r}: unknown state {status.state!r}")
            statuses[name] = status
        nested = {name: cls.from_json(saved) for name, saved in data["nested"].items()}
        started = data["started"]
        return cls(statuses, nested, None if started is None else float(started))


def log_change(log: Log, status: ConditionStatus, before: tuple[str, str, str | None], *, label: str) -> None:
    """Log ``status`` (as ``label``) when its state, reason or error differs from ``before``."""
    if status.key() == before:
        return
    name = label
    if status.state == "ready":
        log.info("condition %r ready on attempt %d (value %.200r)", name, status.attempts, status.value)
    elif status.state == "timed_out":
        log.warning("condition %r timed out: %s", name, status.reason)
    elif status.state == "failed":
        log.error("condition %r failed on attempt %d: %s", name, status.attempts, status.reason)
    else:
        level = logging.WARNING if status.error else logging.INFO
        error = f" ({status.error})" if status.error else ""
        again = " any more" if before[0] == "ready" else ""
        log.log(
            level, "condition %r not ready%s%s: %s (attempt %d)", name, again, error, status.reason, status.attempts
        )
