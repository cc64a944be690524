"""The dashboard's reads against Airflow's own schema: filters, permissions, what each number means."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from dashboard.queries import Filters, finished_waits, live_waits, sensor_kinds
from tests.support.metadata import SeededWait, insert_deferred, insert_finished, report
from triggers.progress import Snapshot

pytestmark = pytest.mark.airflow_min(
    "3.3", reason="the dashboard is built on Airflow 3.3's UI plugin, auth and metadata APIs"
)


T0 = 1_800_000_000.0


def seed_three(session: Session) -> None:
    insert_finished(
        session,
        [
            SeededWait(
                "orders",
                "r1",
                "wait",
                "OrderStatusSensor",
                report("met", started=T0, attempts=[(0, "not_yet", 5.0), (5.5, "met", None)]),
            ),
            SeededWait(
                "orders",
                "r2",
                "wait",
                "OrderStatusSensor",
                report("timeout", started=T0 + 100, attempts=[(0, "not_yet", 5.0)]),
            ),
            SeededWait(
                "files",
                "r1",
                "wait_file",
                "AdaptiveFileSensor",
                report(
                    "met",
                    started=T0 + 200,
                    attempts=[(0, "not_yet", 30.0), (30, "not_yet", 45.0), (75.5, "met", None)],
                    detail={"performance": {"success_rate": 0.25}},
                ),
            ),
        ],
    )


def test_history_is_newest_first_with_the_numbers_of_each_report(session: Session) -> None:
    seed_three(session)
    waits = finished_waits(session, {"orders", "files"}, Filters())
    assert [(w.task.dag_id, w.task.run_id, w.outcome) for w in waits] == [
        ("files", "r1", "met"),
        ("orders", "r2", "timeout"),
        ("orders", "r1", "met"),
    ]
    adaptive = waits[0]
    assert adaptive.task.kind == "AdaptiveFileSensor"
    assert adaptive.attempts == 3
    assert adaptive.waited == pytest.approx(75.51)
    # found at +75.5 s; the check before ended at +30.01 s: seen at most 45.49 s after it happened
    assert adaptive.detection_gap == pytest.approx(45.49)
    assert adaptive.success_rate == 0.25
    assert [p.interval for p in adaptive.points] == [30.0, 45.0, None]
    assert adaptive.task.link == "/dags/files/runs/r1/tasks/wait_file"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        pytest.param(Filters(dag_id="orders"), [("orders", "r2"), ("orders", "r1")], id="dag"),
        pytest.param(Filters(kind="AdaptiveFileSensor"), [("files", "r1")], id="kind"),
        pytest.param(Filters(outcome="timeout"), [("orders", "r2")], id="outcome"),
        pytest.param(Filters(outcome="met", dag_id="orders"), [("orders", "r1")], id="outcome-and-dag"),
        pytest.param(Filters(limit=1), [("files", "r1")], id="limit"),
    ],
)
def test_filters_narrow_the_history(session: Session, filters: Filters, expected: list[tuple[str, str]]) -> None:
    seed_three(session)
    assert [(w.task.dag_id, w.task.run_id) for w in finished_waits(session, {"orders", "files"}, filters)] == expected


def test_only_readable_dags_are_shown(session: Session) -> None:
    seed_three(session)
    assert {w.task.dag_id for w in finished_waits(session, {"files"}, Filters())} == {"files"}
    assert finished_waits(session, set(), Filters()) == []
    assert sensor_kinds(session, {"orders", "files"}) == ["AdaptiveFileSensor", "OrderStatusSensor"]


def test_gather_conditions_ready_times_are_seconds_from_the_start(session: Session) -> None:
    detail = {"conditions": {"logs": {"ready_at": T0 + 3.0, "state": "ready"}, "inventory": {"ready_at": None}}}
    seeded = SeededWait(
        "ml",
        "r1",
        "gather",
        "MultiSourceReadinessSensor",
        report("met", started=T0, attempts=[(4, "met", None)], detail=detail),
    )
    insert_finished(session, [seeded])
    (wait,) = finished_waits(session, {"ml"}, Filters())
    assert wait.ready == (("logs", 3.0), ("inventory", None))
    assert wait.detection_gap is None  # the first check found it


def test_now_lists_our_deferred_sensors_with_their_progress(session: Session) -> None:
    snapshot = Snapshot(
        "api", "r9", "wait_api", -1, 1, kind="http", what="GET http://api/health", started_at=T0, attempts=4
    )
    snapshot.outcome, snapshot.error, snapshot.breaker, snapshot.next_at = "not_yet", "ServerError", "open", T0 + 60
    insert_deferred(
        session,
        dag_id="api",
        run_id="r9",
        task_id="wait_api",
        operator="APIHealthSensor",
        classpath="triggers.http.trigger.HttpHealthTrigger",
        progress=snapshot.to_json(),
    )
    insert_deferred(
        session,
        dag_id="api",
        run_id="r9",
        task_id="fresh",
        operator="APIHealthSensor",
        classpath="triggers.http.trigger.HttpHealthTrigger",
        progress=None,
    )
    insert_deferred(
        session,
        dag_id="api",
        run_id="r9",
        task_id="builtin",
        operator="DateTimeSensor",
        classpath="airflow.providers.standard.triggers.temporal.DateTimeTrigger",
        progress=None,
    )
    waits = live_waits(session, {"api"}, Filters())
    assert [w.task.task_id for w in waits] == ["wait_api", "fresh"]  # not Airflow's own trigger
    published = waits[0].snapshot
    assert published is not None
    assert (published.attempts, published.error, published.breaker) == (4, "ServerError", "open")
    assert waits[0].waited(T0 + 10) == 10
    assert waits[1].snapshot is None
    assert [w.task.task_id for w in live_waits(session, {"api"}, Filters(outcome="not_yet"))] == ["wait_api"]
    assert live_waits(session, {"other"}, Filters()) == []


def test_the_adaptive_history_variable_is_read_for_the_tasks_in_view(session: Session) -> None:
    from airflow.models.variable import Variable

    from dashboard.queries import adaptive_histories
    from triggers.adaptive.store import SensorHistory
    from triggers.history import Attempt

    stored = SensorHistory(attempts=(Attempt(T0, 0.1, "not_yet", interval=30.0), Attempt(T0 + 30, 0.1, "met")))
    session.add(Variable(key="adaptive_file_sensor.files.wait_file", val=stored.to_json()))
    session.add(Variable(key="adaptive_file_sensor.files.broken", val="{not json"))
    session.commit()
    found = adaptive_histories(session, {("files", "wait_file"), ("files", "broken"), ("files", "absent")})
    assert found == {("files", "wait_file"): stored}
