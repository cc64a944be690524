"""A real Airflow metadata database (SQLite, Airflow's own schema) with finished and deferred waits in it.

For the dashboard's tests and benchmark: rows go in the way the api-server would find them
(``task_instance``, ``xcom`` with key ``sensor_report``, ``trigger``, the progress Variables),
in bulk, without running DAGs.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, insert
from sqlalchemy.orm import Session

UTC = datetime.UTC


def metadata_engine(path: Path) -> Engine:
    """Return an engine on a new SQLite file holding Airflow's full schema (about 3 s on a loaded machine)."""
    from airflow.models import import_all_models
    from airflow.models.base import Base

    import_all_models()
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    return engine


def report(
    outcome: str,
    *,
    started: float,
    attempts: Sequence[tuple[float, str, float | None]],
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return a ``sensor_report`` value: ``attempts`` are (seconds after ``started``, outcome, interval)."""
    history = [
        {"at": started + offset, "duration": 0.01, "outcome": kind, "error": None, "interval": interval}
        for offset, kind, interval in attempts
    ]
    finished = started + attempts[-1][0] + 0.01 if attempts else started
    intervals = [a["interval"] for a in history if a["interval"] is not None]
    return {
        "version": 1,
        "outcome": outcome,
        "value": None,
        "reason": "" if outcome == "met" else f"{outcome} after {len(history)} attempts",
        "attempts": len(history),
        "history": history,
        "started_at": started,
        "finished_at": finished,
        "interval": intervals[-1] if intervals else None,
        "breaker": "closed",
        "detail": detail or {},
    }


@dataclass
class SeededWait:
    """One finished wait to insert."""

    dag_id: str
    run_id: str
    task_id: str
    operator: str
    report: dict[str, Any]
    map_index: int = -1
    ti_id: uuid.UUID = field(default_factory=uuid.uuid4)


def insert_finished(session: Session, waits: Sequence[SeededWait]) -> None:
    """Insert each wait's task instance (success) and its ``sensor_report`` XCom, in two statements."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel

    if not waits:
        return
    session.execute(
        insert(TaskInstance),
        [
            {
                "id": w.ti_id,
                "dag_id": w.dag_id,
                "run_id": w.run_id,
                "task_id": w.task_id,
                "map_index": w.map_index,
                "pool": "default_pool",
                "state": "success",
                "operator": w.operator,
                "try_number": 1,
            }
            for w in waits
        ],
    )
    session.execute(
        insert(XComModel),
        [
            {
                "dag_run_id": index,
                "dag_id": w.dag_id,
                "run_id": w.run_id,
                "task_id": w.task_id,
                "map_index": w.map_index,
                "key": "sensor_report",
                "value": w.report,
                "timestamp": datetime.datetime.fromtimestamp(w.report["finished_at"], UTC),
            }
            for index, w in enumerate(waits, start=1)
        ],
    )
    session.commit()


def insert_deferred(
    session: Session, *, dag_id: str, run_id: str, task_id: str, operator: str, classpath: str, progress: str | None
) -> uuid.UUID:
    """Insert a deferred task instance with its trigger and (optionally) its progress Variable; return its id."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.trigger import Trigger
    from airflow.models.variable import Variable

    from triggers.progress import progress_key

    trigger = Trigger(classpath=classpath, kwargs={})
    session.add(trigger)
    session.flush()
    ti_id = uuid.uuid4()
    session.execute(
        insert(TaskInstance).values(
            id=ti_id,
            dag_id=dag_id,
            run_id=run_id,
            task_id=task_id,
            map_index=-1,
            pool="default_pool",
            state="deferred",
            operator=operator,
            trigger_id=trigger.id,
        )
    )
    if progress is not None:
        session.add(Variable(key=progress_key(ti_id), val=progress))
    session.commit()
    return ti_id
