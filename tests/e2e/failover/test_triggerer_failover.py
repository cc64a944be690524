"""End to end on PostgreSQL: kill -9 the triggerer holding a batch of deferred sensors; the other one finishes them.

One run of ``failover_batch`` defers one sensor of every kind (order JSON, HTTP health, a gather
of a file and an HTTP field, a file, an adaptive file) plus ``wait_deadline``, which never
succeeds. While only ``triggerer`` runs, every trigger is assigned to it; then ``triggerer2``
starts, ``triggerer`` is killed with SIGKILL (its whole process tree), and only then do the
sources become ready, so no sensor can have completed on the dead triggerer. Shown:

- every trigger moves to ``triggerer2`` (read from the ``trigger`` table) and every sensor
  succeeds there exactly once: state success, try_number 1, one "Wait ended" line in its log;
- the XComs are right, and the downstream task ran once (try_number 1) and saw them;
- the adaptive history Variable holds the seeded records once each, the attempts the dead
  triggerer made (saved as they happened), then ``triggerer2``'s, ending in the one arrival:
  nothing lost but an attempt interrupted mid-save, nothing doubled;
- ``wait_deadline`` fails at its original absolute deadline, not the deadline plus the failover.

Two things about Airflow 3.3.2 shape the timeline. A triggerer's first connection or Variable lookup
builds its in-process execution API, blocking its heartbeat for ~15 s here; so ``triggerer2``
starts only after ``triggerer`` has done that, or it would take the triggers from a live triggerer
(and after the failover ``triggerer2`` pays the same before its first checks: most of the time to
recover). Airflow's own trigger timeout is set TIMEOUT_BACKSTOP_GRACE after the trigger's deadline,
so ``wait_deadline`` ends with our timeout report, at the original deadline.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from devstack import AirflowStack
from sandbox.ecommerce_db import set_status, write_orders
from sensors.base import TIMEOUT_BACKSTOP_GRACE
from tests.support.http_server import LoopbackServer, Reply
from tests.support.postgres import PostgresDatabase
from triggers.adaptive import SensorHistory
from triggers.adaptive.store import Arrival
from triggers.history import Attempt

pytestmark = pytest.mark.postgres

DAG_ID = "failover_batch"
CONN = "failover_http"
MET = ("wait_order", "wait_api", "wait_sources", "wait_file", "wait_partner")
SENSORS = (*MET, "wait_deadline")
DEADLINE = 150  # the DAG's wait_deadline timeout; at 70 s it fired before the kill on a loaded machine
HISTORY_KEY = f"adaptive_file_sensor.{DAG_ID}.wait_partner"
SEEDED = SensorHistory(
    attempts=(
        Attempt(1_700_000_000.0, 0.01, "not_yet", interval=2.0),
        Attempt(1_700_000_002.0, 0.01, "not_yet", interval=2.0),
        Attempt(1_700_000_004.0, 0.01, "met"),
    ),
    arrivals=(Arrival(1_699_999_000.0, 1004.0),),
)


class MetadataDb:
    """Reads the stack's metadata tables directly (what the REST API does not show: trigger assignment)."""

    def __init__(self, database: PostgresDatabase) -> None:
        import psycopg2  # the conftest skipped (or failed under CI) if it is missing

        self.connection = psycopg2.connect(database.dsn)
        self.connection.autocommit = True

    def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with closing(self.connection.cursor()) as cursor:
            cursor.execute(sql, args)
            return list(cursor.fetchall())

    def running_triggerers(self) -> list[int]:
        """Return the ids of the TriggererJobs that have not ended, oldest first."""
        return [
            r[0]
            for r in self.rows("SELECT id FROM job WHERE job_type = 'TriggererJob' AND state = 'running' ORDER BY id")
        ]

    def heartbeat_ages(self) -> dict[int, float]:
        """Return running triggerer job id -> seconds since its last heartbeat (for failure messages)."""
        sql = (
            "SELECT id, extract(epoch FROM now() - latest_heartbeat) FROM job"
            " WHERE job_type = 'TriggererJob' AND state = 'running'"
        )
        return {job: round(float(age), 1) for job, age in self.rows(sql)}

    def deadline(self, run_id: str, task_id: str) -> float:
        """Return the sensor's absolute deadline (epoch seconds) from what Airflow stored when ``task_id`` deferred.

        Airflow's trigger timeout is our deadline plus the backstop grace (sensors.base).
        """
        sql = "SELECT trigger_timeout FROM task_instance WHERE dag_id = %s AND run_id = %s AND task_id = %s"
        ((timeout,),) = self.rows(sql, DAG_ID, run_id, task_id)
        return float(timeout.timestamp()) - TIMEOUT_BACKSTOP_GRACE

    def holders(self, run_id: str) -> dict[str, tuple[str, int | None]]:
        """Return task id -> (state, triggerer id holding its trigger) for the run's sensors."""
        rows = self.rows(
            "SELECT ti.task_id, ti.state, tr.triggerer_id FROM task_instance ti"
            " LEFT JOIN trigger tr ON tr.id = ti.trigger_id WHERE ti.dag_id = %s AND ti.run_id = %s",
            DAG_ID,
            run_id,
        )
        return {task: (state, holder) for task, state, holder in rows if task in SENSORS}

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def metadata(metadata_db: PostgresDatabase) -> Iterator[MetadataDb]:
    db = MetadataDb(metadata_db)
    try:
        yield db
    finally:
        db.close()


def poll(condition: Any, timeout: float, what: str, interval: float = 0.2) -> Any:
    """Return ``condition()``'s first truthy value; fail after ``timeout`` seconds naming ``what``."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        time.sleep(interval)
    return value


def make_sources_ready(base: Path, api: LoopbackServer) -> None:
    """Ship the order, bring the API up, and deliver every file (atomically: a hidden file, then a rename)."""
    set_status(base / "shop", 1, "shipped")
    api.script("/health", Reply(200, json={"status": "healthy"}))
    api.script("/catalog", Reply(200, json={"version": 101}))
    for target in (base / "ml/logs/events.log", base / "drop/orders.csv", base / "partner/orders_1.csv"):
        target.parent.mkdir(parents=True, exist_ok=True)
        hidden = target.with_name(f".{target.name}.part")
        hidden.write_text("id,total\n1,299.99\n")
        hidden.rename(target)


def test_every_sensor_completes_once_on_the_surviving_triggerer(
    airflow_stack: AirflowStack, metadata: MetadataDb, sources_dir: Path, api: LoopbackServer
) -> None:
    stack = airflow_stack
    api.script("/health", Reply(503))
    api.script("/catalog", Reply(200, json={"version": 99}))
    stack.create_connection(CONN, "http", host="127.0.0.1", port=api.port)
    write_orders(sources_dir / "shop")
    stack.set_variable(HISTORY_KEY, SEEDED.to_json())
    stack.wait_for_dag(DAG_ID)
    run_id = stack.trigger_dag(DAG_ID)

    # 1. Every sensor is deferred, holds no slot, and its trigger sits on the only triggerer.
    for task in SENSORS:
        assert stack.wait_for_task_state(DAG_ID, run_id, task, "deferred", timeout=120) == "deferred", task
    (first,) = metadata.running_triggerers()
    poll(lambda: {h for _, h in metadata.holders(run_id).values()} == {first}, 30, "every trigger on triggerer 1")
    # only this DAG runs on this stack: the default pool is the sensors' own
    slots = stack.own_pool_slots(DAG_ID, run_id, SENSORS)
    assert (slots["running_slots"], slots["deferred_slots"]) == (0, len(SENSORS)), slots
    deadline = metadata.deadline(run_id, "wait_deadline")

    # The triggerer's first connection lookup builds its in-process execution API (Airflow's, ~15 s on
    # this machine) and blocks its heartbeat meanwhile: a second triggerer would take over a live one.
    poll(lambda: api.count("/health") >= 2, 120, "triggerer 1's first HTTP check (its connection resolved)")
    poll(lambda: metadata.heartbeat_ages()[first] < 2, 60, "triggerer 1 to heartbeat again")

    # 2. A second triggerer starts; the triggers stay where they are while the first lives.
    stack.start_component("triggerer", name="triggerer2")
    second = poll(lambda: [j for j in metadata.running_triggerers() if j != first], 120, "triggerer2's job")[0]
    for _ in range(3):  # a few of triggerer2's assignment loops
        time.sleep(1)
        holders = {h for _, h in metadata.holders(run_id).values()}
        assert holders == {first}, f"moved while triggerer 1 lived; heartbeat ages {metadata.heartbeat_ages()}"

    # 3. kill -9 the holder; only then do the sources become ready.
    stack.kill("triggerer")
    poll(lambda: not stack.component("triggerer").running(), 10, "triggerer 1 to die")
    killed_at = time.time()
    make_sources_ready(sources_dir, api)

    moved: dict[str, float] = {}
    done: dict[str, float] = {}

    def recovered() -> bool:
        now = time.time() - killed_at
        for task, (state, holder) in metadata.holders(run_id).items():
            if holder == second or (state != "deferred" and task not in moved):
                moved.setdefault(task, now)
            if state == "success":
                done.setdefault(task, now)
        return set(done) >= set(MET) and "wait_deadline" in moved

    poll(recovered, 120, "every sensor to move to triggerer2 and the met ones to succeed")
    assert stack.wait_for_run(DAG_ID, run_id, timeout=DEADLINE + 60) == "failed"  # wait_deadline fails it
    print(f"\n[failover] {len(moved)} sensors moved; seconds after the kill: moved {moved}, succeeded {done}")

    # 4. Exactly once: every task ran one try; each sensor's wait ended once.
    states = stack.task_states(DAG_ID, run_id)
    assert states == {**dict.fromkeys(MET, "success"), "collect": "success", "wait_deadline": "failed"}
    tries = {task: (stack.task_instance(DAG_ID, run_id, task) or {}).get("try_number") for task in states}
    assert set(tries.values()) == {1}, tries
    for task in MET:
        assert stack.task_log(DAG_ID, run_id, task).count("Wait ended:") == 1, task
    ages = metadata.heartbeat_ages()  # a SIGKILLed job's row stays "running": only its heartbeat stops
    threshold = float(stack.env["AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD"])
    assert ages[first] > threshold > ages[second], ages

    # 5. The XComs, as the sensors returned them and as the downstream task saw them.
    values = {task: stack.xcom(DAG_ID, run_id, task) for task in MET}
    assert (values["wait_order"]["id"], values["wait_order"]["status"]) == (1, "shipped")
    assert (values["wait_api"]["status"], values["wait_api"]["json"]) == (200, {"status": "healthy"})
    assert set(values["wait_sources"]) == {"logs", "catalog"}
    assert values["wait_file"]["files"][0]["path"] == str(sources_dir / "drop/orders.csv")
    assert values["wait_partner"]["files"][0]["path"] == str(sources_dir / "partner/orders_1.csv")
    assert stack.xcom(DAG_ID, run_id, "collect") == values
    for task in MET:
        report = stack.xcom(DAG_ID, run_id, task, key="sensor_report")
        assert report["outcome"] == "met", (task, report)
        assert report["finished_at"] >= killed_at, (task, report)

    # 6. The adaptive history: the seed once, the killed triggerer's attempts (saved as they happened),
    # triggerer2's, one met, one arrival; nothing doubled.
    stored = SensorHistory.from_json(stack.get_variable(HISTORY_KEY) or "")
    assert stored.attempts[: len(SEEDED.attempts)] == SEEDED.attempts
    new = stored.attempts[len(SEEDED.attempts) :]
    before_kill = [a for a in new if a.at < killed_at]
    assert before_kill, new  # the killed triggerer's "not yet" attempts survived it
    assert [a.at for a in new] == sorted({a.at for a in new})  # nothing doubled
    assert [a.outcome for a in new].count("met") == 1
    assert new[-1].outcome == "met"
    assert stored.arrivals[: len(SEEDED.arrivals)] == SEEDED.arrivals
    assert len(stored.arrivals) == len(SEEDED.arrivals) + 1
    report = stack.xcom(DAG_ID, run_id, "wait_partner", key="sensor_report")
    assert {Attempt.from_dict(a) for a in report["history"]} <= set(stored.attempts)
    print(
        f"[failover] adaptive history: {len(SEEDED.attempts)} seeded + {len(new)} new attempts"
        f" ({len(before_kill)} by the killed triggerer), arrivals 1 + 1"
    )

    # 7. The deadline held across the move: wait_deadline ended at its original absolute deadline (the
    # trigger's own, in its kwargs), not later by the failover, with our report: Airflow's own trigger
    # timeout is only a backstop, TIMEOUT_BACKSTOP_GRACE later.
    log = stack.task_log(DAG_ID, run_id, "wait_deadline")
    fired = [line for line in log.splitlines() if "Trigger fired event" in line]
    assert len(fired) == 1, log[-3000:]  # triggerer2 ran the trigger to its deadline and fired once
    # our report, not Airflow's "Trigger timeout"; the triggerer ends the task itself (no retries left)
    assert "Wait ended: timeout" in log, log[-3000:]
    fired_late = datetime.fromisoformat(fired[0].split()[0]).timestamp() - deadline
    ended = datetime.fromisoformat((stack.task_instance(DAG_ID, run_id, "wait_deadline") or {})["end_date"])
    assert killed_at + moved["wait_deadline"] < deadline  # it moved before its deadline
    assert -1.0 < fired_late < 3.0, fired_late
    print(
        f"[failover] wait_deadline fired {fired_late:+.2f}s from its deadline ({deadline - killed_at:.1f}s after the"
        f" kill); the task ended {ended.timestamp() - deadline:+.2f}s from it (worker pick-up)"
    )
