"""Poke, reschedule and deferred mode: the same source behaviour gives the same wait.

Each case scripts a real source (a loopback HTTP server, files, a SQLite orders table) by
attempt number, then waits on it three ways: poke mode (one operator, many pokes), reschedule
mode (a fresh operator per poke, as Airflow runs it, with the state in a task state store) and
deferred mode (the sensor's own trigger loop; for a file directly in its directory, the wait
judged from the directory's shared listing, as a triggerer runs it). The sequence of outcomes, the intervals chosen
after them and the breaker's transitions must be equal.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sensors import (
    AdaptiveFileSensor,
    APIHealthSensor,
    FileArrivalSensor,
    MultiSourceReadinessSensor,
    OrderStatusSensor,
)
from sensors.base import DeferrableSensor
from sensors.poke_state import STATE_KEY
from tests.support.http_server import LoopbackServer, Reply, http_server
from tests.support.sensors import TaskInstanceStub
from tests.support.state_store import TaskStateStoreFake
from triggers.files import FileCheck, FileWatchTrigger
from triggers.history import Attempt
from triggers.outcomes import Outcome
from triggers.report import Report
from triggers.wait_state import WaitState

__all__ = ["http_server"]

#: what the comparison keeps of one attempt: outcome, error class, interval chosen after it
Step = tuple[str, str | None, float | None]
COMMON = {"poke_interval": 0.05, "backoff_jitter": 0.0, "timeout": 60, "deferrable": False}


class RescheduledTaskInstance(TaskInstanceStub):
    """Reschedule mode asks when the wait's first try began (for condition timeouts)."""

    def get_first_reschedule_date(self, context: Any) -> Any:
        return None


def steps(records: list[Attempt]) -> list[Step]:
    return [(r.outcome, r.error, r.interval) for r in records]


def moves(transitions: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(t["from"], t["to"]) for t in transitions]


Make = Callable[[str], DeferrableSensor]


def poke_until_done(make: Make, after: Callable[[int], None], *, fresh: bool, with_store: bool = True) -> Any:
    """Poke as Airflow does (sleeping the interval each poke decides); return the saved state.

    ``fresh``: reschedule mode, a new operator per poke; else poke mode, one operator.
    ``with_store`` False: no task state store, as on Airflow 3.1 and 3.2.
    """
    store = TaskStateStoreFake()
    context: dict[str, Any] = {"ti": RescheduledTaskInstance()}
    if with_store:
        context["task_state_store"] = store
    mode = "reschedule" if fresh else "poke"
    sensor = make(mode)
    state: WaitState | None = None
    attempts = 0
    for _ in range(40):
        if fresh:
            sensor = make(mode)
        made = sensor._poking.prober.count if sensor._poking else 0
        done = bool(sensor.poke(context))
        assert sensor._poking is not None
        if sensor._poking.prober.count > made:  # not skipped by an open breaker
            attempts += 1
            after(attempts)
        state = sensor._poking.state
        if done:
            break
        time.sleep(sensor._get_next_poke_interval(0.0, lambda: 0.0, 1))
    assert state is not None
    if fresh and with_store:  # what the next reschedule would load is what this one saved
        saved = WaitState(state.limit, None)
        assert saved.restore(store.get(STATE_KEY))
        return steps(saved.records), moves(saved.transitions)
    return steps(state.records), moves(state.transitions)


def defer(sensor: DeferrableSensor, after: Callable[[int], None]) -> Any:
    """Run the sensor's trigger wait, calling ``after`` after each attempt as the pokes do."""
    trigger = sensor.build_trigger(sensor.build_check(), time.time() + 60, {"ti": TaskInstanceStub()})
    count = 0

    def observe(record: Attempt, outcome: Outcome) -> None:
        nonlocal count
        count += 1
        after(count)

    if isinstance(trigger, FileWatchTrigger) and trigger.shares_directory():
        # the wait a triggerer runs: judged from its directory's shared listing, which tells each
        # listing to the wait's progress observer (here the script, in place of the Variable writer)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("triggers.files.trigger.publisher_for", lambda *_: observe)

            async def waited() -> Report:
                return await trigger.wait()

            report = asyncio.run(waited())
    else:
        loop = trigger.make_loop()
        loop.observers = (*loop.observers, observe)
        report = asyncio.run(loop.run())
    return steps(list(report.history)), moves(report.detail.get("breaker_transitions", []))


def three_ways(make: Make, reset: Callable[[], None], after: Callable[[int], None]) -> Any:
    seen = {}
    for mode, run in (
        ("poke", lambda: poke_until_done(make, after, fresh=False)),
        ("reschedule", lambda: poke_until_done(make, after, fresh=True)),
        ("deferred", lambda: defer(make("poke"), after)),
    ):
        reset()
        seen[mode] = run()
    assert seen["poke"] == seen["reschedule"] == seen["deferred"], seen
    return seen["poke"]


def api_sensor(server: LoopbackServer, **breaker: Any) -> Make:
    return lambda mode: APIHealthSensor(
        task_id="api", endpoint_url=server.url("/health"), mode=mode, **breaker, **COMMON
    )


def test_http_errors_back_off_honour_retry_after_and_open_the_breaker_alike(http_server: LoopbackServer) -> None:
    script = (
        Reply(503, body="down"),
        Reply(503, body="down", headers={"Retry-After": "1"}),
        Reply(503, body="down"),
        Reply(200, json={"status": "healthy"}),
    )

    make = api_sensor(http_server, failure_threshold=3, recovery_timeout=0.5)
    seen_steps, seen_moves = three_ways(make, lambda: http_server.script("/health", *script), lambda n: None)
    assert [s[2] for s in seen_steps] == [0.1, 1.0, 0.4, None]  # 2^k backoff, Retry-After, the met one
    assert seen_moves == [("closed", "open"), ("half_open", "closed")]


def test_the_comparison_catches_a_mode_that_forgets_between_pokes(http_server: LoopbackServer) -> None:
    """Reschedule mode without its state store (Airflow 3.1, 3.2) neither backs off nor opens the breaker."""
    script = (Reply(503, body="down"), Reply(503, body="down"), Reply(503, body="down"), Reply(200, json={}))

    make = api_sensor(http_server, failure_threshold=2, recovery_timeout=0.3)

    http_server.script("/health", *script)
    deferred = defer(make("poke"), lambda n: None)
    http_server.script("/health", *script)
    forgetful = poke_until_done(make, lambda n: None, fresh=True, with_store=False)
    assert deferred[1] == [("closed", "open"), ("half_open", "open"), ("half_open", "closed")]
    assert forgetful[1] == []  # each fresh operator starts with a closed breaker and no errors
    assert forgetful != deferred


def test_a_file_that_appears_on_the_third_look_is_met_alike(tmp_path: Path) -> None:
    target = tmp_path / "drop" / "orders.csv"

    def reset() -> None:
        target.unlink(missing_ok=True)
        target.parent.mkdir(exist_ok=True)

    def after(attempt: int) -> None:
        if attempt == 2:
            target.write_text("id\n1\n")

    def make(mode: str) -> DeferrableSensor:
        return FileArrivalSensor(task_id="drop", filepath=str(target), watch=False, stable_for=0, mode=mode, **COMMON)

    seen_steps, _ = three_ways(make, reset, after)
    assert [s[0] for s in seen_steps] == ["not_yet", "not_yet", "met"]
    assert [s[2] for s in seen_steps] == [0.05, 0.05, None]


def test_an_order_shipped_after_a_locked_read_is_met_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = tmp_path / "shop.db"
    monkeypatch.setenv("AIRFLOW_CONN_PARITY_SHOP", f"sqlite:///{database}")

    def reset() -> None:
        database.unlink(missing_ok=True)
        with sqlite3.connect(database) as db:
            db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT)")
            db.execute("INSERT INTO orders VALUES (1, 'pending')")
        db.close()

    def after(attempt: int) -> None:
        if attempt == 2:
            with sqlite3.connect(database) as db:
                db.execute("UPDATE orders SET status = 'shipped' WHERE id = 1")
            db.close()

    def make(mode: str) -> DeferrableSensor:
        return OrderStatusSensor(
            task_id="order", order_id=1, expected_status="shipped", conn_id="parity_shop", mode=mode, **COMMON
        )

    seen_steps, _ = three_ways(make, reset, after)
    assert [s[0] for s in seen_steps] == ["not_yet", "not_yet", "met"]
    assert [s[2] for s in seen_steps] == [0.05, 0.05, None]


def test_a_gather_of_two_files_keeps_its_latch_across_pokes_alike(tmp_path: Path) -> None:
    """File a is there for one look only; latched, it stays ready until b comes."""
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"

    def reset() -> None:
        a.write_text("a\n")
        b.unlink(missing_ok=True)

    def after(attempt: int) -> None:
        if attempt == 1:
            a.unlink()
        if attempt == 3:
            b.write_text("b\n")

    def make(mode: str) -> DeferrableSensor:
        conditions = {"a": FileCheck(str(a), watch=False), "b": FileCheck(str(b), watch=False)}
        # A deferred round waits round_wait (the first interval) for its attempts, then carries the
        # slow ones over; pokes wait for all. 0.5 s keeps a loaded machine's file scans in their round.
        settings = {**COMMON, "poke_interval": 0.5}
        return MultiSourceReadinessSensor(task_id="both", conditions=conditions, mode=mode, **settings)

    seen_steps, _ = three_ways(make, reset, after)
    assert [s[0] for s in seen_steps] == ["not_yet", "not_yet", "not_yet", "met"]


def test_an_adaptive_wait_starts_from_what_earlier_runs_learned_alike(tmp_path: Path) -> None:
    """The seed's rule paces pokes from the learned history, as it paces the trigger.

    Before, poke mode decided in a second history of its own beside the pokes' state, which
    started empty: the recorded intervals and the reschedule state forgot the earlier runs.
    """
    target = tmp_path / "partner" / "export.csv"

    def reset() -> None:
        target.unlink(missing_ok=True)
        target.parent.mkdir(exist_ok=True)

    def after(attempt: int) -> None:
        if attempt == 3:
            target.write_text("id\n1\n")

    def make(mode: str) -> DeferrableSensor:
        sensor = AdaptiveFileSensor(
            task_id="partner",
            filepath=str(target),
            initial_interval=0.08,
            min_interval=0.01,
            max_interval=0.2,
            watch=False,
            stable_for=0,
            mode=mode,
            timeout=60,
            deferrable=False,
        )
        for _ in range(9):  # earlier runs found the file at once: the rule starts from a longer interval
            sensor.record_attempt(True, 0.01)
        return sensor

    seen_steps, _ = three_ways(make, reset, after)
    assert seen_steps[-4:] == [
        ("not_yet", None, 0.12),  # 9 of 10 met: grow by half
        ("not_yet", None, 0.18),  # 9 of 11: grow again
        ("not_yet", None, 0.18),  # 9 of 12: keep
        ("met", None, None),
    ]
