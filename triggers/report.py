"""The report: the trigger's event payload, parsed back on the worker; caps on the values it carries.

Versioned JSON. ``outcome`` is "met", "failed" or "timeout"; ``history`` is bounded; ``detail``
is what the last check added (the last response, per-order or per-condition status). A value goes
into the event, the XCom and the logs: ten thousand waits each carrying a megabyte would sit in the
triggerer's memory and the metadata DB, so one whose JSON is over its cap becomes a short summary.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from triggers.history import Attempt
from triggers.outcomes import Failed, Met

#: The most JSON characters of one condition's value kept in a gather's per-condition status.
MAX_CONDITION_VALUE_CHARS = 16 * 1024
#: The most JSON characters of the met value a report (the event, the return_value XCom) carries.
MAX_REPORT_VALUE_CHARS = 64 * 1024
#: Characters of an over-cap value's JSON kept as its preview.
PREVIEW_CHARS = 200


def capped(value: Any, limit: int) -> Any:
    """Return ``value`` when its JSON has at most ``limit`` characters, else a summary of it.

    The summary is ``{"truncated": True, "json_chars": n, "limit": limit, "preview": "..."}``.
    """
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str) and len(value) <= limit // 6:  # even fully escaped it fits: skip the dump
        return value
    try:
        text = json.dumps(value, default=str)
    except (TypeError, ValueError):  # not JSON (a report would fail later anyway): keep it for that error
        return value
    if len(text) <= limit:
        return value
    return {"truncated": True, "json_chars": len(text), "limit": limit, "preview": text[:PREVIEW_CHARS]}


REPORT_VERSION = 1

#: XCom key under which every sensor pushes its full report (attempts, durations, detail).
REPORT_XCOM_KEY = "sensor_report"

ReportOutcome = Literal["met", "failed", "timeout"]


@dataclass(frozen=True)
class Report:
    """How a wait ended and what it took."""

    outcome: ReportOutcome
    value: Any = None
    reason: str = ""
    attempts: int = 0
    history: tuple[Attempt, ...] = ()
    started_at: float = 0.0
    finished_at: float = 0.0
    interval: float | None = None
    breaker: str = "closed"
    detail: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def ending(cls, outcome: Met | Failed, **fields: Any) -> Report:
        """Return the report of a wait that ended with ``outcome``; ``fields`` fill in the rest.

        A ``detail`` in ``fields`` (the wait's own, such as breaker transitions) adds to the outcome's.
        """
        detail = {**outcome.detail, **fields.pop("detail", {})}
        if isinstance(outcome, Met):
            return cls("met", value=capped(outcome.value, MAX_REPORT_VALUE_CHARS), detail=detail, **fields)
        return cls("failed", reason=outcome.reason, detail=detail, **fields)

    @property
    def waited(self) -> float:
        """Seconds from the first check to the end of the wait."""
        return max(0.0, self.finished_at - self.started_at)

    def to_event(self) -> dict[str, Any]:
        """Return the JSON payload a trigger yields."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {"version": REPORT_VERSION, **fields, "history": [a.to_dict() for a in self.history]}

    @classmethod
    def from_event(cls, payload: Any) -> Report:
        """Parse a trigger event payload; raise ValueError when it is not a report we understand."""
        if not isinstance(payload, dict) or payload.get("version") != REPORT_VERSION:
            raise ValueError(f"not a version-{REPORT_VERSION} sensor report: {payload!r:.200}")
        if payload.get("outcome") not in ("met", "failed", "timeout"):
            raise ValueError(f"unknown report outcome {payload.get('outcome')!r}")
        try:
            return cls(
                outcome=payload["outcome"],
                value=payload.get("value"),
                reason=str(payload.get("reason", "")),
                attempts=int(payload.get("attempts", 0)),
                history=tuple(Attempt.from_dict(a) for a in payload.get("history", [])),
                started_at=float(payload.get("started_at", 0.0)),
                finished_at=float(payload.get("finished_at", 0.0)),
                interval=None if payload.get("interval") is None else float(payload["interval"]),
                breaker=str(payload.get("breaker", "closed")),
                detail=dict(payload.get("detail") or {}),
            )
        except (KeyError, TypeError, ValueError, OverflowError) as error:  # JSON has ints too big for a float
            raise ValueError(f"malformed sensor report: {error}") from error
