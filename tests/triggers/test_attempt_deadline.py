"""Every attempt is bounded by the time left: a hanging check ends the wait at its deadline with our report.

Without the bound an attempt waits ``attempt_timeout`` (or for ever when it is None) past the
deadline, and Airflow's backstop ends the task with a bare "Trigger timeout" instead.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from tests.support.http_server import serving_in_this_loop
from tests.triggers.gather import conditions
from triggers.cadence import Fixed
from triggers.gather import CallableCheck
from triggers.http import HttpCheck, HttpHealthTrigger
from triggers.poll_trigger import PollTrigger
from triggers.report import Report

#: how long each test's wait may last (real time: the hangs are real)
DEADLINE_IN = 1.0
#: far longer than the wait: an attempt allowed this long would outlive the test's own guard
LONG_ATTEMPT = 600.0


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """A loopback aiohttp server that accepts every request and never answers; yields its URL."""
    released = asyncio.Event()

    async def never_answer(request: web.Request) -> web.Response:
        await released.wait()
        return web.Response(status=200)

    async with serving_in_this_loop(never_answer) as (url, _runner):
        yield url
        released.set()


async def only_report(trigger: PollTrigger) -> Report:
    events = [event async for event in trigger.run()]
    assert len(events) == 1
    return Report.from_event(events[0].payload)


def common() -> dict[str, object]:
    return {"cadence": Fixed(5).to_dict(), "deadline": time.time() + DEADLINE_IN, "attempt_timeout": LONG_ATTEMPT}


async def test_a_server_that_never_answers_ends_the_wait_at_its_deadline(silent_server) -> None:
    check = HttpCheck(silent_server, request_timeout=LONG_ATTEMPT)
    trigger = HttpHealthTrigger(check=check.to_dict(), **common())

    report = await asyncio.wait_for(only_report(trigger), 30)

    assert report.outcome == "timeout"
    assert report.attempts == 1
    assert "no answer before the deadline" in report.reason
    assert report.finished_at <= trigger.deadline + 5  # slack for a loaded machine; 600 s if unbounded


async def test_an_async_condition_that_never_returns_ends_the_wait_at_its_deadline() -> None:
    check = CallableCheck("tests.triggers.gather.conditions.awaits_forever")
    trigger = PollTrigger(check=check.to_dict(), **common())

    report = await asyncio.wait_for(only_report(trigger), 30)

    assert report.outcome == "timeout"
    assert "no answer before the deadline" in report.reason


async def test_a_sync_condition_that_hangs_is_abandoned_at_the_deadline_and_its_thread_left_running() -> None:
    conditions.RELEASE.clear()
    check = CallableCheck("tests.triggers.gather.conditions.sleeps_until_released")
    trigger = PollTrigger(check=check.to_dict(), **common())
    try:
        report = await asyncio.wait_for(only_report(trigger), 30)
        hung = [t for t in threading.enumerate() if "asyncio" in t.name and t.is_alive()]
    finally:
        conditions.RELEASE.set()  # a thread cannot be killed: let it finish so the test leaves none

    assert report.outcome == "timeout"
    assert "no answer before the deadline" in report.reason
    assert hung, "the thread running the condition is still running: its await was abandoned, not it"


async def test_an_attempt_timeout_shorter_than_the_time_left_still_applies(silent_server) -> None:
    check = HttpCheck(silent_server, request_timeout=LONG_ATTEMPT)
    trigger = HttpHealthTrigger(
        check=check.to_dict(), cadence=Fixed(0.05).to_dict(), deadline=time.time() + 1.5, attempt_timeout=0.2
    )

    report = await asyncio.wait_for(only_report(trigger), 30)

    assert report.outcome == "timeout"
    assert report.attempts >= 2
    assert report.history[0].duration < 1.0  # the first attempt was cut at 0.2 s, not at the deadline
    assert {a.error for a in report.history} == {"TimeoutError"}
