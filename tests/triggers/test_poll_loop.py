import asyncio
import logging
import random
import time

import pytest

from tests.support.checks import CALLS, WAKEUPS, SlowCheck, script
from tests.support.fake_time import FakeTime
from triggers.breaker import CircuitBreaker
from triggers.cadence import Backoff, Fixed
from triggers.errors import PermanentError, TransientError
from triggers.outcomes import Failed, Met, NotYet
from triggers.poll_loop import PollLoop
from triggers.wait_state import WaitState


def loop_for(check, clock: FakeTime, **settings) -> PollLoop:
    settings.setdefault("cadence", Fixed(1))
    return PollLoop(
        check=check, clock=clock.clock, monotonic=clock.monotonic, pause=clock.pause, rng=random.Random(0), **settings
    )


async def test_met_after_not_yets_returns_value_and_attempt_count() -> None:
    clock = FakeTime()
    check = script("met-third", NotYet("pending"), NotYet("processing"), Met({"id": 1}))
    report = await loop_for(check, clock).run()
    assert (report.outcome, report.value, report.attempts) == ("met", {"id": 1}, 3)
    assert clock.sleeps == [1, 1]
    assert [a.outcome for a in report.history] == ["not_yet", "not_yet", "met"]


async def test_failed_ends_the_wait_at_once_with_the_reason() -> None:
    report = await loop_for(script("cancelled", Failed("order 1 is cancelled")), FakeTime()).run()
    assert (report.outcome, report.reason, report.attempts) == ("failed", "order 1 is cancelled", 1)


async def test_errors_back_off_exactly_and_a_clean_answer_resets() -> None:
    clock = FakeTime()
    refused = ConnectionRefusedError("refused")
    check = script("flaky", refused, refused, refused, NotYet("warming up"), refused, Met(True))
    await loop_for(check, clock, cadence=Backoff(base=1, factor=2, cap=5, jitter=0)).run()
    assert clock.sleeps == [2, 4, 5, 1, 2]


async def test_retry_after_from_the_source_stretches_the_delay() -> None:
    clock = FakeTime()
    check = script("busy", TransientError("503", retry_after=7), Met(True))
    await loop_for(check, clock).run()
    assert clock.sleeps == [7]


async def test_deadline_ends_the_wait_with_a_timeout_report_naming_the_last_answer() -> None:
    clock = FakeTime()
    report = await loop_for(script("slow-order", NotYet("status is pending")), clock, deadline=clock.now + 3.5).run()
    assert report.outcome == "timeout"
    assert "status is pending" in report.reason
    assert sum(clock.sleeps) == pytest.approx(3.5)


async def test_a_loop_rebuilt_after_a_restart_waits_only_what_is_left_of_the_deadline() -> None:
    clock = FakeTime()
    deadline = clock.now + 100
    clock.now += 70  # the first triggerer ran for 70 s, then died
    report = await loop_for(script("restart", NotYet("pending")), clock, cadence=Fixed(10), deadline=deadline).run()
    assert report.outcome == "timeout"
    assert sum(clock.sleeps) == pytest.approx(30)


async def test_open_breaker_stops_calls_then_one_half_open_probe_closes_it() -> None:
    clock = FakeTime()
    refused = ConnectionRefusedError("refused")
    check = script("outage", refused, refused, refused, Met("back"))
    breaker = CircuitBreaker(failure_threshold=3, recovery_timeout=60)
    report = await loop_for(check, clock, breaker=breaker).run()
    # two 1 s delays, the third error opens the breaker: its delay, then the rest of the 60 s
    assert clock.sleeps == [1, 1, 1, 59]
    assert CALLS["outage"] == 4
    assert (report.outcome, report.breaker) == ("met", "closed")


async def test_a_permanent_error_fails_and_an_unexpected_one_fails_naming_its_type() -> None:
    assert (await loop_for(script("auth", PermanentError("401")), FakeTime()).run()).outcome == "failed"
    report = await loop_for(script("bug", KeyError("status")), FakeTime()).run()
    assert (report.outcome, report.reason) == ("failed", "KeyError: 'status'")


async def test_a_check_slower_than_attempt_timeout_is_a_transient_not_yet() -> None:
    loop = PollLoop(check=SlowCheck(5), cadence=Fixed(0.01), attempt_timeout=0.05, deadline=time.time() + 1.0)
    report = await loop.run()
    assert report.outcome == "timeout"
    assert {a.error for a in report.history} == {"TimeoutError"}
    assert report.attempts >= 2
    assert report.history[0].duration < 0.9  # cut by attempt_timeout, not by the deadline
    assert "no answer" in report.reason  # the last attempt: cut by the deadline or by attempt_timeout


async def test_wakeup_cuts_the_wait_short() -> None:
    WAKEUPS["woken"] = asyncio.Event()
    check = script("woken", NotYet("pending"), Met("shipped"))

    run = asyncio.ensure_future(PollLoop(check=check, cadence=Fixed(3600)).run())  # an hour: only the wakeup ends it
    await asyncio.sleep(0.01)
    WAKEUPS["woken"].set()
    report = await asyncio.wait_for(run, 5)
    assert (report.outcome, report.attempts) == ("met", 2)


@pytest.mark.parametrize(
    ("interval", "wake_after"),
    [
        pytest.param(3600, 0.01, id="the-wakeup-ends-a-long-wait"),
        pytest.param(0.01, None, id="the-timer-ends-a-wait-no-event-cuts-short"),
    ],
)
async def test_a_real_clock_wait_ends_at_the_wakeup_or_the_interval(interval: float, wake_after: float | None) -> None:
    WAKEUPS["real-clock"] = asyncio.Event()
    check = script("real-clock", NotYet("pending"), Met("shipped"))
    run = asyncio.ensure_future(PollLoop(check=check, cadence=Fixed(interval)).run())
    if wake_after is not None:
        await asyncio.sleep(wake_after)
        WAKEUPS["real-clock"].set()
    report = await asyncio.wait_for(run, 5)
    assert (report.outcome, report.attempts) == ("met", 2)


async def test_cancelling_a_real_clock_wait_propagates() -> None:
    WAKEUPS["cancelled"] = asyncio.Event()
    run = asyncio.ensure_future(PollLoop(check=script("cancelled", NotYet("pending")), cadence=Fixed(3600)).run())
    await asyncio.sleep(0.01)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run


async def test_the_same_error_is_logged_once_not_every_tick(caplog) -> None:
    refused = ConnectionRefusedError("refused")
    check = script("noisy", refused, refused, refused, refused, Met(True))
    with caplog.at_level(logging.INFO, logger="triggers"):
        await loop_for(check, FakeTime(), log=logging.getLogger("triggers.test")).run()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "ConnectionRefusedError" in warnings[0].getMessage()


async def test_history_is_bounded_to_max_records() -> None:
    check = script("long", *[NotYet("pending")] * 30, Met(True))
    report = await loop_for(check, FakeTime(), max_records=5).run()
    assert report.attempts == 31
    assert len(report.history) == 5


def test_the_cadence_sees_the_kept_records_and_the_newest_whatever_max_records_is() -> None:
    """Backoff counts consecutive errors over max_records + 1 attempts, in the loop and the pokes alike."""
    backoff = Backoff(base=1.0, factor=2.0, cap=100.0, jitter=0.0)
    state = WaitState(limit=1)
    delays = []
    for _ in range(3):
        down = NotYet("down", error="HTTP503")
        state.record(down, 0.0, now=0.0)
        delays.append(state.pace(down, backoff, random.Random(0)))
    assert delays == [2.0, 4.0, 4.0]  # one record kept: the cadence sees it and the newest (2 ** 2 at most)
    assert len(state.records) == 1
