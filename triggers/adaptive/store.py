"""Where an adaptive sensor keeps what it learned between DAG runs: one Airflow Variable (JSON).

The worker loads it before the wait and saves it after; the trigger saves each attempt as it
happens. A save merges with what the Variable holds then, so tasks sharing a key keep each
other's records, and a repeated save (a trigger run twice by a failover) changes nothing::

    {"version": 1,
     "attempts": [{"at": ..., "duration": ..., "outcome": "met"|"not_yet"|"failed",
                   "error": null, "interval": ...}, ...],   # the last history_size attempts
     "arrivals": [{"anchor": ..., "offset": ...}, ...]}      # one per run that saw the file

A missing Variable starts a fresh history, a corrupted one too (with a warning); one that cannot
be read or written logs a warning. None of these fails the task.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from triggers.history import Attempt
from triggers.prober import Log

STORE_VERSION = 1


class VariableBackend(Protocol):
    """The two Variable operations the store needs: raw strings in and out."""

    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str) -> None: ...


class AirflowVariables:
    """Airflow's Variables, through the task SDK (in a worker: the execution API)."""

    def get(self, key: str) -> str | None:
        from airflow.sdk import Variable

        value = Variable.get(key, default=None)
        return None if value is None else str(value)

    def set(self, key: str, value: str) -> None:
        from airflow.sdk import Variable

        Variable.set(key, value)


@dataclass(frozen=True, order=True)
class Arrival:
    """When the file arrived in one run: ``offset`` seconds after the run's ``anchor`` (epoch)."""

    anchor: float
    offset: float

    def to_dict(self) -> dict[str, float]:
        return {"anchor": self.anchor, "offset": self.offset}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Arrival:
        """Rebuild an arrival; raises KeyError, TypeError or ValueError on a malformed record."""
        return cls(anchor=float(data["anchor"]), offset=float(data["offset"]))


@dataclass(frozen=True)
class SensorHistory:
    """What one history key holds: recent attempts and past arrivals, oldest first."""

    attempts: tuple[Attempt, ...] = ()
    arrivals: tuple[Arrival, ...] = ()

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": STORE_VERSION,
                "attempts": [a.to_dict() for a in self.attempts],
                "arrivals": [a.to_dict() for a in self.arrivals],
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, raw: str) -> SensorHistory:
        """Parse a stored value; raise ValueError when it is not one this version wrote."""
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ValueError(f"not JSON: {error}") from error
        if not isinstance(data, dict) or data.get("version") != STORE_VERSION:
            raise ValueError(f"not a version-{STORE_VERSION} history")
        try:
            return cls(
                attempts=tuple(Attempt.from_dict(a) for a in data.get("attempts", [])),
                arrivals=tuple(Arrival.from_dict(a) for a in data.get("arrivals", [])),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ValueError(f"malformed record: {error!r}") from error

    def merged(self, newer: SensorHistory, limit: int) -> SensorHistory:
        """Return both histories combined: duplicates once, in time order, the last ``limit`` of each kind.

        An arrival for an anchor already present (the same run, retried) replaces the older one.
        """
        attempts = sorted(set(self.attempts) | set(newer.attempts), key=lambda a: (a.at, a.duration))
        by_anchor = {a.anchor: a for a in (*self.arrivals, *newer.arrivals)}
        return SensorHistory(tuple(attempts[-limit:]), tuple(sorted(by_anchor.values())[-limit:]))

    def offsets(self) -> tuple[float, ...]:
        """Return the arrival offsets, oldest run first: what the learned cadence learns from."""
        return tuple(a.offset for a in self.arrivals)


class HistoryStore:
    """Load and save one key's :class:`SensorHistory`; never raises."""

    def __init__(self, key: str, limit: int, log: Log, backend: VariableBackend | None = None) -> None:
        self.key = key
        self.limit = limit
        self.log = log
        self.backend: VariableBackend = backend if backend is not None else AirflowVariables()

    def load(self, *, announce_missing: bool = True) -> SensorHistory:
        """Return the stored history, bounded; a fresh one when missing, unreadable or corrupted."""
        try:
            raw = self.backend.get(self.key)
        except Exception as error:  # the API being down must not fail the task: learn afresh
            self.log.warning(
                "History Variable %r unreadable (%s: %s); starting fresh", self.key, type(error).__name__, error
            )
            return SensorHistory()
        if raw is None:
            if announce_missing:
                self.log.info("History Variable %r not found; starting fresh", self.key)
            return SensorHistory()
        try:
            stored = SensorHistory.from_json(raw)
        except ValueError as error:
            self.log.warning("History Variable %r is corrupted (%s); starting fresh", self.key, error)
            return SensorHistory()
        return SensorHistory().merged(stored, self.limit)

    def save(self, history: SensorHistory) -> SensorHistory | None:
        """Merge ``history`` into what the Variable holds now and write it; return what was written.

        Returns None (after a warning) when the Variable could not be written.
        """
        current = self.load(announce_missing=False)
        combined = current.merged(history, self.limit)
        if combined == current:
            return combined  # nothing new (a repeated save): no write
        try:
            self.backend.set(self.key, combined.to_json())
        except Exception as error:  # losing one run's learning is better than failing a met sensor
            self.log.warning("History Variable %r not saved (%s: %s)", self.key, type(error).__name__, error)
            return None
        return combined
