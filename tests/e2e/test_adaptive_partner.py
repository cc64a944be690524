"""End to end: AdaptiveFileSensor learns its interval in one DAG run and starts the next from it.

Run 1 waits a few seconds for the file, so the seed's rule shrinks the interval from 4 s; the
worker saves the history in the Variable. Run 2 starts from the interval run 1 ended with (read
from the Variable), not from initial_interval; while it is deferred an operator sets the
override Variable to 0.5 s, below min_interval, and the checks follow it within one interval.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path

import pytest

from devstack import AirflowStack
from triggers.adaptive import Adaptive, SensorHistory
from triggers.history import Attempt

DAG_ID = "adaptive_partner"
TASK = "wait_partner"
POOL = "adaptive_e2e"  # the sensor's own pool (dags/adaptive_partner.py)
HISTORY_KEY = f"adaptive_file_sensor.{DAG_ID}.{TASK}"
OVERRIDE_KEY = f"{HISTORY_KEY}.interval_override"
RULE = Adaptive(initial_interval=4, min_interval=1, max_interval=8, history_size=40)
OVERRIDE = 0.5


def deliver(drop: Path, name: str) -> None:
    """Write the partner's file atomically: a hidden temporary file the glob ignores, then a rename."""
    drop.mkdir(parents=True, exist_ok=True)
    hidden = drop / f".{name}.part"
    hidden.write_text("id,total\n1,299.99\n")
    hidden.rename(drop / name)


def wait_for_log(stack: AirflowStack, run_id: str, text: str, count: int = 1, timeout: float = 180) -> str:
    """Return the task log once ``text`` appears ``count`` times in it.

    180 s: a loaded triggerer's runner was seen stalled for 55-66 s before its first check's line.
    """
    deadline = time.monotonic() + timeout
    while (log := stack.task_log(DAG_ID, run_id, TASK)).count(text) < count:
        assert time.monotonic() < deadline, log
        time.sleep(0.5)
    return log


def deferred_without_a_slot(stack: AirflowStack, run_id: str) -> None:
    assert stack.wait_for_task_state(DAG_ID, run_id, TASK, "deferred", timeout=90) == "deferred"
    ti = stack.task_instance(DAG_ID, run_id, TASK)
    assert ti is not None
    assert ti["trigger"]["classpath"] == "triggers.adaptive.trigger.AdaptiveIntervalTrigger", ti["trigger"]
    slots = stack.own_pool_slots(DAG_ID, run_id, [TASK])
    assert (slots["running_slots"], slots["deferred_slots"]) == (0, 1), slots
    # the worker's check logged the first "not yet", the trigger's first check the second
    wait_for_log(stack, run_id, ": not yet (", count=2)


def stored(stack: AirflowStack) -> SensorHistory:
    raw = stack.get_variable(HISTORY_KEY)
    assert raw is not None, "the worker saved no history"
    return SensorHistory.from_json(raw)


def test_the_second_run_starts_from_the_learned_interval_and_obeys_the_override(airflow_stack: AirflowStack) -> None:
    stack = airflow_stack
    stack.wait_for_dag(DAG_ID)
    stack.create_pool(POOL, 1)
    stack.delete_variable(HISTORY_KEY)
    stack.delete_variable(OVERRIDE_KEY)
    drop = Path(tempfile.mkdtemp(prefix="adaptive-e2e-"))
    os.chmod(drop, 0o755)

    # Run 1: the file comes a few checks late; the rule shrinks the interval from 4 s.
    first = stack.trigger_dag(DAG_ID, conf={"dir": str(drop / "run1")})
    deferred_without_a_slot(stack, first)
    time.sleep(4)
    deliver(drop / "run1" / "incoming", "orders_1.csv")
    assert stack.wait_for_run(DAG_ID, first, timeout=90) == "success"
    learned = stored(stack)
    first_report = stack.xcom(DAG_ID, first, TASK, key="sensor_report")
    assert learned.attempts == tuple(Attempt.from_dict(a) for a in first_report["history"])
    assert learned.attempts[-1].outcome == "met"
    learned_interval = first_report["interval"]
    assert learned_interval < RULE.initial_interval * 0.7  # it shrank more than once
    assert len(learned.arrivals) == 1

    # Run 2: the first delay continues from run 1's interval, read from the Variable.
    second = stack.trigger_dag(DAG_ID, conf={"dir": str(drop / "run2")})
    deferred_without_a_slot(stack, second)
    stack.set_variable(OVERRIDE_KEY, str(OVERRIDE))
    set_at = time.time()
    log = wait_for_log(stack, second, f"Interval override from Variable '{OVERRIDE_KEY}': checking every 0.5s")
    time.sleep(2)
    deliver(drop / "run2" / "incoming", "orders_2.csv")
    assert stack.wait_for_run(DAG_ID, second, timeout=90) == "success"

    report = stack.xcom(DAG_ID, second, TASK, key="sensor_report")
    history = [Attempt.from_dict(a) for a in report["history"]]
    assert tuple(history[: len(learned.attempts)]) == learned.attempts  # it started from what run 1 saved
    first_of_second = history[len(learned.attempts)]
    undecided = [*learned.attempts, Attempt(first_of_second.at, first_of_second.duration, "not_yet")]
    assert first_of_second.interval == pytest.approx(RULE.next_delay(undecided, random.Random(0)), abs=0.001)
    assert first_of_second.interval != pytest.approx(RULE.initial_interval * 0.7)  # not a fresh start

    # The override, below min_interval, took effect within one interval and was logged once.
    after = [a for a in history if a.at > set_at + learned_interval + 0.5 and a.interval is not None]
    assert after, history
    assert {a.interval for a in after} == {OVERRIDE}
    assert log.count("Interval override from Variable") == 1

    performance = stack.xcom(DAG_ID, second, TASK, key="adaptive_performance")
    assert performance == report["detail"]["performance"]
    assert performance["attempts"] >= len(after) + 1
    assert performance["current_interval"] == OVERRIDE
    assert performance["time_to_detection"] > 2
    assert len(stored(stack).arrivals) == 2
    stack.delete_variable(OVERRIDE_KEY)
