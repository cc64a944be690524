"""What each condition of a gather last said (:class:`ConditionStatus`), kept for one wait in a :class:`Ledger`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields
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

    @property
    def open(self) -> bool:  # may still become (or stay) ready
        return self.state in ("pending", "ready")

    def settle(self, outcome: Outcome, *, at: float, duration: float) -> None:
        self.attempts += 1
        self.checked_at, self.duration, self.checking_since = at, round(duration, 6), None
        self.repeats, self.error = run_of(outcome.error, self.error, self.repeats), outcome.error
        self.detail = capped(dict(outcome.detail), MAX_CONDITION_VALUE_CHARS)
        state: State
        if isinstance(outcome, Met):
            value, reason, state = outcome.value, "", "ready"
        else:
            value, reason = outcome.detail.get("value", self.value), outcome.reason
            state = "failed" if outcome.kind == "failed" else "pending"
        if (state == "ready") != (self.state == "ready"):
            self.ready_at = at if state == "ready" else None  # None: asked again (not latched), no longer met
        self.value, self.reason, self.state = capped(value, MAX_CONDITION_VALUE_CHARS), reason, state

    def time_out(self, timeout: float) -> None:
        last = f"; last answer: {self.reason}" if self.reason else ""
        self.state, self.timed_out, self.checking_since = "timed_out", True, None
        self.reason = f"not ready within {timeout:g}s{last}"

    def key(self) -> tuple[str, str, str | None]:
        """Return what a change is judged on: repeats of the same answer are not changes."""
        return (self.state, self.reason, self.error)

    def to_dict(self) -> dict[str, Any]:
        # Values are shared, not deep-copied: the report is serialised at once, and ``asdict``
        # dominated a round's cost.
        return {f.name: getattr(self, f.name) for f in FIELDS}

    def log_change(self, log: Log, before: tuple[str, str, str | None], label: str) -> None:
        """Log this status as ``label`` when its state, reason or error differs from ``before``."""
        if self.key() == before:
            return
        if self.state == "ready":
            log.info("condition %r ready on attempt %d (value %.200r)", label, self.attempts, self.value)
        elif self.state == "timed_out":
            log.warning("condition %r timed out: %s", label, self.reason)
        elif self.state == "failed":
            log.error("condition %r failed on attempt %d: %s", label, self.attempts, self.reason)
        else:
            again = " any more" if before[0] == "ready" else ""
            error = f" ({self.error})" if self.error else ""
            level = logging.WARNING if self.error else logging.INFO
            log.log(
                level, "condition %r not ready%s%s: %s (attempt %d)", label, again, error, self.reason, self.attempts
            )


FIELDS = fields(ConditionStatus)


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
        statuses = {name: status.to_dict() for name, status in self.statuses.items()}
        return {
            "started": self.started,
            "statuses": statuses,
            "nested": {n: c.to_json() for n, c in self.nested.items()},
        }

    @classmethod
    def from_json(cls, data: Any) -> Ledger:
        """Rebuild a ledger from :meth:`to_json`; raise KeyError, TypeError or ValueError if malformed."""
        statuses = {}
        for name, saved in data["statuses"].items():
            status = statuses[name] = ConditionStatus(**{f.name: saved[f.name] for f in FIELDS if f.name in saved})
            if status.state not in get_args(State):
                raise ValueError(f"condition {name!r}: unknown state {status.state!r}")
        started = data["started"]
        nested = {name: cls.from_json(saved) for name, saved in data["nested"].items()}
        return cls(statuses, nested, None if started is None else float(started))
