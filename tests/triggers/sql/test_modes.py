"""DeferrableSqlSensor gives the same answers poking from a worker and deferred to the triggerer."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from sensors.sql import DeferrableSqlSensor
from tests.support.sensors import context
from tests.triggers.sql.conditions import at_least_three, negative
from tests.triggers.sql.databases import CONN_ID, Database
from triggers.compat import AirflowFailException, AirflowSensorTimeout, TaskDeferred
from triggers.report import Report

SCENARIOS = [
    pytest.param("UPDATE jobs SET n = 4 WHERE id = 1", {}, ("met", 4), id="met"),
    pytest.param("UPDATE jobs SET n = 1 WHERE id = 1", {}, ("not_yet", None), id="not-yet"),
    pytest.param(
        "UPDATE jobs SET n = -2 WHERE id = 1", {"failure": negative}, ("failed", "negative(-2)"), id="failure"
    ),
    pytest.param("DELETE FROM jobs", {"fail_on_empty": True}, ("failed", "no rows returned"), id="fail-on-empty"),
    pytest.param("DELETE FROM jobs", {}, ("not_yet", None), id="empty"),
]


def sensor(deferrable: bool, **kwargs: Any) -> DeferrableSqlSensor:
    return DeferrableSqlSensor(
        task_id="wait_for_jobs",
        conn_id=CONN_ID,
        sql="SELECT n FROM jobs WHERE id = %(id)s",
        parameters={"id": 1},
        success=at_least_three,
        deferrable=deferrable,
        timeout=1,
        poke_interval=0.2,
        attempt_timeout=10,
        **kwargs,
    )


def poked(kwargs: dict[str, Any]) -> tuple[str, Any]:
    try:
        answer = sensor(False, **kwargs).poke(context())
    except AirflowFailException as error:
        return "failed", str(error)
    return ("met", answer.xcom_value) if answer else ("not_yet", None)


def deferred(kwargs: dict[str, Any]) -> tuple[str, Any]:
    waiting = sensor(True, **kwargs)
    try:
        try:
            return "met", waiting.execute(context())  # the worker's one check before deferring
        except TaskDeferred as deferral:
            report = asyncio.run(deferral.trigger.make_loop().run())
        return "met", waiting.execute_complete(context(), event=report.to_event())
    except AirflowFailException as error:
        return "failed", str(error)
    except AirflowSensorTimeout:
        return "not_yet", None


def triggered(kwargs: dict[str, Any]) -> tuple[str, Any]:
    """Run the trigger alone, from the check the sensor sends (the triggerer's side of a wait)."""
    from triggers.cadence import Fixed
    from triggers.sql import SqlQueryTrigger

    check = sensor(True, **kwargs).build_check()
    trigger = SqlQueryTrigger(check=check.to_dict(), cadence=Fixed(0.2).to_dict(), deadline=time.time() + 1)
    report: Report = asyncio.run(trigger.make_loop().run())
    outcome = {"timeout": "not_yet"}.get(report.outcome, report.outcome)
    return outcome, report.value if outcome == "met" else (report.reason if outcome == "failed" else None)


@pytest.mark.parametrize(("change", "kwargs", "expected"), SCENARIOS)
def test_poke_and_deferred_give_the_same_answer(database: Database, change: str, kwargs: dict, expected) -> None:
    database.run(change)
    answers = {"poke": poked(kwargs), "deferred": deferred(kwargs), "trigger": triggered(kwargs)}
    for mode, (outcome, detail) in answers.items():
        assert outcome == expected[0], (mode, answers)
        if outcome == "met":
            assert detail == expected[1], (mode, answers)
        elif outcome == "failed":
            assert expected[1] in detail, (mode, answers)
