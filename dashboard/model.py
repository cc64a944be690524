"""What the dashboard shows, as plain values: a wait in progress and a finished wait.

Built from what the library already writes (the trigger's progress snapshot, the
``sensor_report`` XCom); pure functions, so the numbers are tested without a database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from triggers.progress import Snapshot


@dataclass(frozen=True)
class TaskRef:
    """The task instance a wait belongs to; ``kind`` is the sensor's class name."""

    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    kind: str

    @property
    def link(self) -> str:
        """Return the task instance's path in the Airflow UI."""
        from urllib.parse import quote

        parts = [quote(p, safe="") for p in (self.dag_id, self.run_id, self.task_id)]
        path = f"/dags/{parts[0]}/runs/{parts[1]}/tasks/{parts[2]}"
        return path if self.map_index < 0 else f"{path}/mapped/{self.map_index}"


@dataclass(frozen=True)
class LiveWait:
    """A deferred sensor now; ``snapshot`` is None until its trigger has published one."""

    task: TaskRef
    deferred_since: float
    snapshot: Snapshot | None

    def waited(self, now: float) -> float:
        """Return the seconds waited so far."""
        began = self.snapshot.started_at if self.snapshot is not None else self.deferred_since
        return max(0.0, now - began)


@dataclass(frozen=True)
class AttemptPoint:
    """One attempt of a finished wait: seconds from the wait's start, duration, outcome."""

    offset: float
    duration: float
    outcome: str
    error: str | None
    interval: float | None


@dataclass(frozen=True)
class FinishedWait:
    """A wait that ended, summarised from its report.

    ``detection_gap`` is the time between the end of the check before the one that found the
    condition and that check: the condition became true at most this long before it was seen
    (None when the first check found it, or the wait was not met). ``ready`` lists each gather
    condition's ready time in seconds from the wait's start (None: never ready).
    """

    task: TaskRef
    outcome: str
    reason: str
    attempts: int
    started_at: float
    finished_at: float
    interval: float | None
    breaker: str
    detection_gap: float | None
    success_rate: float | None
    history: tuple[Mapping[str, Any], ...]
    ready: tuple[tuple[str, float | None], ...]

    @property
    def waited(self) -> float:
        return max(0.0, self.finished_at - self.started_at)

    @property
    def points(self) -> tuple[AttemptPoint, ...]:
        """Return the report's attempts (built on demand: only the charts need them)."""
        started = self.started_at
        return tuple(
            AttemptPoint(
                offset=round((_number(a.get("at")) or started) - started, 3),
                duration=_number(a.get("duration")) or 0.0,
                outcome=str(a.get("outcome")),
                error=None if a.get("error") is None else str(a.get("error")),
                interval=_number(a.get("interval")),
            )
            for a in self.history
        )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _detection_gap(history: Sequence[Mapping[str, Any]]) -> float | None:
    if len(history) < 2 or history[-1].get("outcome") != "met":
        return None
    before, found = history[-2], history[-1]
    at, prev_at, prev_duration = _number(found.get("at")), _number(before.get("at")), _number(before.get("duration"))
    if at is None or prev_at is None:
        return None
    return max(0.0, at - prev_at - (prev_duration or 0.0))


def _ready_times(detail: Mapping[str, Any], started: float) -> tuple[tuple[str, float | None], ...]:
    conditions = detail.get("conditions")
    if not isinstance(conditions, Mapping):
        return ()
    ready = []
    for name, status in conditions.items():
        at = _number(status.get("ready_at")) if isinstance(status, Mapping) else None
        ready.append((str(name), None if at is None else round(max(0.0, at - started), 3)))
    return tuple(ready)


def finished_wait(task: TaskRef, report: Any) -> FinishedWait | None:
    """Return the summary of one ``sensor_report`` value; None when it is not a report."""
    if not isinstance(report, Mapping) or report.get("outcome") not in ("met", "failed", "timeout"):
        return None
    history = [a for a in report.get("history") or () if isinstance(a, Mapping)]
    started = _number(report.get("started_at")) or 0.0
    detail = _mapping(report.get("detail"))
    performance = _mapping(detail.get("performance"))
    return FinishedWait(
        task=task,
        outcome=str(report["outcome"]),
        reason=str(report.get("reason") or ""),
        attempts=int(_number(report.get("attempts")) or 0),
        started_at=started,
        finished_at=_number(report.get("finished_at")) or started,
        interval=_number(report.get("interval")),
        breaker=str(report.get("breaker") or "closed"),
        detection_gap=_detection_gap(history),
        success_rate=_number(performance.get("success_rate")),
        history=tuple(history),
        ready=_ready_times(detail, started),
    )


@dataclass(frozen=True)
class TaskSummary:
    """One sensor task across runs: how many waits, how they ended, the mean wait."""

    dag_id: str
    task_id: str
    kind: str
    waits: int
    met: int
    mean_waited: float
    mean_attempts: float


def summarise(waits: Sequence[FinishedWait]) -> list[TaskSummary]:
    """Return one summary per (DAG, task), in the order the tasks first appear."""
    groups: dict[tuple[str, str], list[FinishedWait]] = {}
    for wait in waits:
        groups.setdefault((wait.task.dag_id, wait.task.task_id), []).append(wait)
    return [
        TaskSummary(
            dag_id=dag_id,
            task_id=task_id,
            kind=group[0].task.kind,
            waits=len(group),
            met=sum(w.outcome == "met" for w in group),
            mean_waited=round(sum(w.waited for w in group) / len(group), 3),
            mean_attempts=round(sum(w.attempts for w in group) / len(group), 2),
        )
        for (dag_id, task_id), group in groups.items()
    ]
