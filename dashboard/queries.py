"""Read the dashboard's data from Airflow's metadata database, in the api-server's own session.

Two queries per view, none per row: "now" reads the deferred task instances whose trigger is
one of ours, then their progress Variables by key; "history" reads ``sensor_report`` XComs
joined to their task instances (the XCom key index, the task instance unique index), newest
first, limited. Every query is restricted to the DAGs the user may read.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from airflow.models.taskinstance import TaskInstance
from airflow.models.trigger import Trigger
from airflow.models.variable import Variable
from airflow.models.xcom import XComModel
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from dashboard.model import FinishedWait, LiveWait, TaskRef, finished_wait
from triggers.adaptive.store import SensorHistory
from triggers.progress import Snapshot, progress_key

ADAPTIVE_KEY = "adaptive_file_sensor.{dag_id}.{task_id}"  # AdaptiveFileSensor's default history_key
REPORT_XCOM_KEY = "sensor_report"  # sensors.base.REPORT_XCOM_KEY; not imported: the api-server needs no operators
TRIGGER_PACKAGE = "triggers."
MAX_HISTORY = 5000

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Filters:
    """What the user narrowed the view to; None means everything."""

    dag_id: str | None = None
    kind: str | None = None
    outcome: str | None = None
    limit: int = 1000


def _decode(value: Any) -> Any:
    """Return an XCom value as stored: a JSON object, or (older writers) a JSON string of one."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return None
    return value


def live_waits(session: Session, dag_ids: Collection[str], filters: Filters) -> list[LiveWait]:
    """Return the deferred sensors of this library with their latest progress, oldest deferral first."""
    ti = TaskInstance
    # Columns, not the entity: TaskInstance eagerly joins its DAG run and more, none of it needed here.
    query = (
        select(ti.id, ti.dag_id, ti.run_id, ti.task_id, ti.map_index, ti.operator, Trigger.created_date)
        .join(Trigger, Trigger.id == ti.trigger_id)
        .where(TaskInstance.state == "deferred", Trigger.classpath.startswith(TRIGGER_PACKAGE))
        .where(TaskInstance.dag_id.in_(dag_ids))
        .order_by(Trigger.created_date)
    )
    if filters.dag_id:
        query = query.where(TaskInstance.dag_id == filters.dag_id)
    if filters.kind:
        query = query.where(TaskInstance.operator == filters.kind)
    rows = session.execute(query).all()
    keys = {progress_key(row.id) for row in rows}
    snapshots: dict[str, Snapshot] = {}
    if keys:
        for variable in session.scalars(select(Variable).where(Variable.key.in_(keys))):
            try:
                snapshots[variable.key] = Snapshot.from_json(variable.val or "")
            except ValueError as error:
                log.warning("Progress Variable %s unreadable: %s", variable.key, error)
    waits = []
    for row in rows:
        snapshot = snapshots.get(progress_key(row.id))
        if filters.outcome and (snapshot is None or snapshot.outcome != filters.outcome):
            continue
        task = TaskRef(row.dag_id, row.run_id, row.task_id, row.map_index, row.operator or "")
        waits.append(LiveWait(task, row.created_date.timestamp(), snapshot))
    return waits


def _same_task_instance() -> Any:
    """Return the join condition of an XCom and its task instance (the task instance's unique index)."""
    ti = TaskInstance
    return and_(
        ti.dag_id == XComModel.dag_id,
        ti.run_id == XComModel.run_id,
        ti.task_id == XComModel.task_id,
        ti.map_index == XComModel.map_index,
    )


def finished_waits(session: Session, dag_ids: Collection[str], filters: Filters) -> list[FinishedWait]:
    """Return the finished waits (newest first, at most ``filters.limit``) from their reports."""
    ti = TaskInstance
    query = (
        select(XComModel.value, ti.dag_id, ti.run_id, ti.task_id, ti.map_index, ti.operator)
        .join(ti, _same_task_instance())
        .where(XComModel.key == REPORT_XCOM_KEY, XComModel.dag_id.in_(dag_ids))
        .order_by(XComModel.timestamp.desc())
        .limit(max(1, min(filters.limit, MAX_HISTORY)))
    )
    if filters.dag_id:
        query = query.where(XComModel.dag_id == filters.dag_id)
    if filters.kind:
        query = query.where(ti.operator == filters.kind)
    if filters.outcome:
        query = query.where(XComModel.value["outcome"].as_string() == filters.outcome)
    waits = []
    for value, dag_id, run_id, task_id, map_index, operator in session.execute(query):
        wait = finished_wait(TaskRef(dag_id, run_id, task_id, map_index, operator or ""), _decode(value))
        if wait is not None:
            waits.append(wait)
    return waits


def sensor_kinds(session: Session, dag_ids: Collection[str]) -> list[str]:
    """Return the sensor class names that have a report, for the kind filter."""
    query = (
        select(TaskInstance.operator)
        .join(XComModel, _same_task_instance())
        .where(XComModel.key == REPORT_XCOM_KEY, XComModel.dag_id.in_(dag_ids))
        .distinct()
    )
    return sorted(k for k in session.scalars(query) if k)


def adaptive_histories(session: Session, tasks: Collection[tuple[str, str]]) -> dict[tuple[str, str], SensorHistory]:
    """Return the learned history of each (DAG, task) that keeps one under the default key, in one query."""
    keys = {ADAPTIVE_KEY.format(dag_id=dag_id, task_id=task_id): (dag_id, task_id) for dag_id, task_id in tasks}
    if not keys:
        return {}
    found = {}
    for variable in session.scalars(select(Variable).where(Variable.key.in_(keys))):
        try:
            found[keys[variable.key]] = SensorHistory.from_json(variable.val or "")
        except ValueError as error:
            log.warning("History Variable %s unreadable: %s", variable.key, error)
    return found
