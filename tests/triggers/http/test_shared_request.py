"""Waits on one HTTP request share one asking of it, against a real loopback server.

Fan-out, each wait's own expectation on one answer, errors reaching every wait, joining and
leaving under cancellation, and nothing left open afterwards.
"""

import asyncio
import gc
import random
import time

import pytest

from tests.support.http_server import Reply
from triggers.cadence import Fixed
from triggers.http import HttpCheck, HttpHealthTrigger, Unreachable
from triggers.http.exchange import SESSIONS
from triggers.report import Report
from triggers.shared_source import SOURCES

HEALTHY = {"status": "healthy", "version": "1.0"}


def trigger(check: HttpCheck, every: float = 0.1, seed: int = 0) -> HttpHealthTrigger:
    return HttpHealthTrigger(check=check.to_dict(), cadence=Fixed(every).to_dict(), seed=seed)


async def report_of(t: HttpHealthTrigger) -> Report:
    event = await anext(aiter(t.run()))
    return Report.from_event(event.payload)


async def until(condition, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached in time")


async def stop(tasks: list[asyncio.Task]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def staggered_waits(url: str, every: float, over: float, seed: int, count: int = 50) -> list[asyncio.Future[Report]]:
    """Start ``count`` waits on ``url`` polling every ``every`` s, deferring at random moments over ``over`` s."""
    check, cadence = HttpCheck(url=url).to_dict(), Fixed(every).to_dict()
    phases = random.Random(seed)

    async def staggered(seed: int, after: float) -> Report:
        await asyncio.sleep(after)
        return await report_of(HttpHealthTrigger(check=check, cadence=cadence, seed=seed))

    return [asyncio.ensure_future(staggered(i, phases.uniform(0, over))) for i in range(count)]


async def test_many_waits_on_one_url_send_one_request_per_tick_and_all_see_the_recovery(http_server) -> None:
    healthy = asyncio.Event()
    http_server.script("/api/health", lambda request: Reply(200, json=HEALTHY) if healthy.is_set() else Reply(503))
    check = HttpCheck(url=http_server.url("/api/health"))
    waits = [asyncio.ensure_future(report_of(trigger(check, 0.2, seed=i))) for i in range(200)]
    await asyncio.sleep(1.0)  # about five ticks of 503
    during_outage = http_server.count("/api/health")
    healthy.set()
    reports = await asyncio.wait_for(asyncio.gather(*waits), 10)
    assert {r.outcome for r in reports} == {"met"}
    assert all(r.attempts >= 4 for r in reports)  # every wait judged every tick's 503
    # 200 waits alone would send 200 requests a tick; shared, one a tick (0.2 s, less jitter-free slack)
    assert during_outage <= 8, during_outage
    assert SOURCES.live() == 0
    assert SESSIONS.live() == 0


async def test_each_wait_judges_the_one_answer_against_its_own_expectation(http_server) -> None:
    http_server.script("/api/health", Reply(200, json={"status": "degraded", "version": "2.0"}))
    url = http_server.url("/api/health")
    wants_version = HttpCheck(url=url, fields=(("version", "==", "2.0"),))
    wants_healthy = HttpCheck(url=url, expected_json={"status": "healthy"})
    met = asyncio.ensure_future(report_of(trigger(wants_version)))
    waiting = asyncio.ensure_future(report_of(trigger(wants_healthy)))
    assert (await asyncio.wait_for(met, 5)).outcome == "met"
    await until(lambda: http_server.count("/api/health") >= 5)
    assert not waiting.done()
    await stop([waiting])
    assert SOURCES.live() == 0
    # one request served both waits' first looks: the met one's and the waiting one's
    assert wants_version.source_key() == wants_healthy.source_key()


async def test_requests_that_differ_are_not_shared(http_server) -> None:
    http_server.script("/api/health", Reply(503))
    url = http_server.url("/api/health")
    checks = [
        HttpCheck(url=url),
        HttpCheck(url=url, headers={"X-Tenant": "a"}),
        HttpCheck(url=url, method="HEAD"),
        HttpCheck(url=url, request_params={"deep": "1"}),
    ]
    assert len({c.source_key() for c in checks}) == 4
    waits = [asyncio.ensure_future(report_of(trigger(c, 5.0))) for c in checks]
    await until(lambda: SOURCES.live() == 4 and http_server.count("/api/health") == 4)
    await stop(waits)
    assert SOURCES.live() == 0


async def test_a_source_error_reaches_every_wait_as_its_own_outcome(unused_tcp_port: int) -> None:
    check = HttpCheck(url=f"http://127.0.0.1:{unused_tcp_port}/api/health")  # nothing listens: refused
    loops = [trigger(check, 0.1, seed=i).make_loop() for i in range(20)]
    waits = [asyncio.ensure_future(loop.run()) for loop in loops]
    await asyncio.sleep(0.5)
    await stop(waits)
    # each wait's own state recorded the refusal, as a transient not yet, every tick
    for loop in loops:
        assert len(loop.state.records) >= 2
        assert {r.error for r in loop.state.records} == {"Unreachable"}
    assert SOURCES.live() == 0


async def test_a_permanent_error_fails_every_wait_at_once(http_server) -> None:
    http_server.script("/loop", Reply(302, headers={"Location": "/loop"}))
    check = HttpCheck(url=http_server.url("/loop"))
    reports = await asyncio.wait_for(asyncio.gather(*(report_of(trigger(check)) for _ in range(10))), 10)
    assert {(r.outcome, r.attempts) for r in reports} == {("failed", 1)}
    assert all("redirects" in r.reason for r in reports)
    # one chain of redirects (given up at the tenth) was followed for all ten waits, not ten chains
    assert http_server.count("/loop") == 10


async def test_a_joining_wait_takes_an_answer_younger_than_its_interval_and_asks_when_it_is_older(
    http_server,
) -> None:
    http_server.script("/api/health", Reply(503))
    url = http_server.url("/api/health")
    first = asyncio.ensure_future(report_of(trigger(HttpCheck(url=url), 30.0)))
    await until(lambda: http_server.count("/api/health") == 1)
    http_server.script("/api/health", Reply(200, json=HEALTHY))
    await asyncio.sleep(0.3)
    # the source's last answer, a 503 0.3 s old, is younger than a 30 s interval: taken, no request
    slow = trigger(HttpCheck(url=url), 30.0).make_loop()
    joined = asyncio.ensure_future(slow.run())
    await until(lambda: hasattr(slow, "state") and slow.state.attempts == 1)
    assert http_server.count("/api/health") == 1
    # older than a 0.1 s interval: this wait asks, and its 200 wakes the other two at once
    fast = await asyncio.wait_for(report_of(trigger(HttpCheck(url=url), 0.1)), 5)
    assert (fast.outcome, fast.attempts) == ("met", 1)
    assert http_server.count("/api/health") == 2
    assert (await asyncio.wait_for(joined, 5)).outcome == "met"
    assert (await asyncio.wait_for(first, 5)).outcome == "met"


async def test_joining_and_leaving_under_cancellation_leaves_nothing_open(http_server) -> None:
    http_server.script("/api/health", Reply(503, delay=0.05))
    check = HttpCheck(url=http_server.url("/api/health"))
    survivor = asyncio.ensure_future(report_of(trigger(check, 0.05)))
    for round_ in range(10):
        waits = [asyncio.ensure_future(report_of(trigger(check, 0.05, seed=i))) for i in range(20)]
        # cancel some while they ask (inside the 50 ms answer), some while they pause, some at once
        await asyncio.sleep(0.01 * (round_ % 4))
        await stop(waits[::2])
        await asyncio.sleep(0.03)
        await stop(waits[1::2])
    assert SOURCES.live() == 1  # the survivor still holds the source
    before = http_server.count("/api/health")
    await until(lambda: http_server.count("/api/health") >= before + 3)  # and it still gets answers
    await stop([survivor])
    assert SOURCES.live() == 0
    assert SESSIONS.live() == 0
    gc.collect()
    lingering = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert not lingering, lingering


async def test_the_error_raised_in_each_wait_is_a_copy_with_no_chain_of_the_others(unused_tcp_port: int) -> None:
    check = HttpCheck(url=f"http://127.0.0.1:{unused_tcp_port}/")
    seen: list[BaseException] = []
    async with check.opened() as first, check.opened() as second:
        for probe in (first, second, first):
            with pytest.raises(Unreachable) as raised:
                await probe.check()
            seen.append(raised.value)
    assert len({id(e) for e in seen}) == 3
    assert all(e.__context__ is None for e in seen)


async def test_share_probe_false_sends_each_waits_own_request(http_server) -> None:
    http_server.script("/api/health", Reply(503))
    check = HttpCheck(url=http_server.url("/api/health"), share_probe=False)
    waits = [asyncio.ensure_future(report_of(trigger(check, 30.0))) for _ in range(5)]
    await until(lambda: http_server.count("/api/health") == 5)
    assert SOURCES.live() == 0
    await stop(waits)


async def test_when_the_asking_wait_is_cancelled_a_waiting_one_asks_again(http_server) -> None:
    http_server.script("/api/health", Reply(200, json=HEALTHY, delay=0.3))
    check = HttpCheck(url=http_server.url("/api/health"))
    async with check.opened() as asker, check.opened() as waiter:
        asking = asyncio.ensure_future(asker.check())
        await until(lambda: http_server.count("/api/health") == 1)
        waiting = asyncio.ensure_future(waiter.check())
        await asyncio.sleep(0.05)
        await stop([asking])
        outcome = await asyncio.wait_for(waiting, 5)
    assert outcome.kind == "met"
    assert http_server.count("/api/health") == 2  # the abandoned request, then the waiter's own


async def test_breakers_of_waits_sharing_a_request_open_together_and_no_request_goes_while_open(http_server) -> None:
    http_server.script("/api/health", Reply(503))
    check = HttpCheck(url=http_server.url("/api/health")).to_dict()
    loops = [
        HttpHealthTrigger(
            check=check, cadence=Fixed(0.05).to_dict(), failure_threshold=2, recovery_timeout=1.0, seed=i
        ).make_loop()
        for i in range(50)
    ]
    waits = [asyncio.ensure_future(loop.run()) for loop in loops]
    await until(lambda: all(loop.breaker is not None and loop.breaker.state == "open" for loop in loops))
    opened = http_server.count("/api/health")
    await asyncio.sleep(0.8)  # inside every breaker's 1 s recovery_timeout
    assert http_server.count("/api/health") == opened
    await until(lambda: http_server.count("/api/health") > opened)  # the half-open probe: one for all
    await asyncio.sleep(0.3)
    assert http_server.count("/api/health") - opened <= 2
    await stop(waits)
    assert opened <= 4  # two answers opened all fifty breakers (a joiner or two asked afresh)


async def test_a_slow_wait_sharing_with_a_fast_one_keeps_its_pace_and_ends_with_the_first_healthy_answer(
    http_server,
) -> None:
    http_server.script("/api/health", Reply(503))
    url = http_server.url("/api/health")
    fast = trigger(HttpCheck(url=url), 0.1).make_loop()
    slow = trigger(HttpCheck(url=url), 60.0).make_loop()
    waits = [asyncio.ensure_future(fast.run()), asyncio.ensure_future(slow.run())]
    await until(lambda: hasattr(fast, "state") and fast.state.attempts >= 6)  # state: made when run() starts
    # the slow wait peeked at every answer the fast one's asking brought, and looked only at its own pace
    assert slow.state.attempts == 1
    assert http_server.count("/api/health") <= fast.state.attempts + 1
    http_server.script("/api/health", Reply(200, json={"status": "healthy"}))
    fast_report, slow_report = await asyncio.wait_for(asyncio.gather(*waits), 5)
    assert (fast_report.outcome, slow_report.outcome) == ("met", "met")
    assert slow_report.attempts == 2  # its own look, then the healthy answer it peeked
    assert abs(slow_report.finished_at - fast_report.finished_at) < 0.5


async def test_waits_at_their_own_phases_ask_once_per_poll_interval_and_end_with_one_answer(http_server) -> None:
    """Sensors defer at different moments: each keeps its own phase, a look takes an answer younger
    than its poll interval, so between them the source is asked about once per interval; the first
    healthy answer ends every wait."""
    http_server.script("/api/health", Reply(503))
    waits = staggered_waits(http_server.url("/api/health"), every=0.2, over=1.0, seed=3)
    await asyncio.sleep(1.2)  # every wait has made its first look
    started = http_server.count("/api/health")
    await asyncio.sleep(2.0)
    asked = http_server.count("/api/health") - started
    assert asked <= 2.0 / 0.2 + 1, asked  # one per 0.2 s interval for all fifty, not one per wait
    http_server.script("/api/health", Reply(200, json={"status": "healthy"}))
    healthy = time.time()
    reports = await asyncio.wait_for(asyncio.gather(*waits), 10)
    assert {r.outcome for r in reports} == {"met"}
    ended = [r.finished_at for r in reports]
    assert max(ended) - healthy < 0.2 * 1.5 + 0.5
    assert max(ended) - min(ended) < 0.2  # one answer ended them all


async def test_waits_deferring_one_after_another_take_an_answer_younger_than_their_interval(http_server) -> None:
    """Sensors defer over minutes (200 took 40 s on a real stack): a wait's first look takes an
    answer younger than its poll interval, as every later look does, so deferring waits do not
    each send a request of their own."""
    http_server.script("/api/health", Reply(503))
    waits = staggered_waits(http_server.url("/api/health"), every=0.5, over=1.5, seed=5)
    await asyncio.sleep(1.6)  # every wait has deferred and looked
    asked = http_server.count("/api/health")
    await stop(waits)
    assert asked <= 1.6 / 0.5 + 2, asked  # one per 0.5 s interval for all fifty, not one per wait


async def test_waits_polling_in_step_ask_at_every_tick(http_server) -> None:
    """An answer is as old as its asking: at the next tick, one interval later, it is stale, so a
    tick is never skipped (and a change is never seen a whole interval late)."""
    http_server.script("/api/health", Reply(503))
    check = HttpCheck(url=http_server.url("/api/health")).to_dict()
    loops = [HttpHealthTrigger(check=check, cadence=Fixed(0.2).to_dict(), seed=i).make_loop() for i in range(20)]
    waits = [asyncio.ensure_future(loop.run()) for loop in loops]
    await asyncio.sleep(0.1)
    started = http_server.count("/api/health")
    await asyncio.sleep(2.0)
    asked = http_server.count("/api/health") - started
    await stop(waits)
    assert 8 <= asked <= 11, asked  # ten ticks of 0.2 s, one asking each


async def test_waits_sharing_a_response_share_one_call_of_their_response_check(http_server) -> None:
    from tests.triggers.http import response_checks

    response_checks.CALLS.clear()
    response_checks.READY.clear()
    http_server.script("/api/health", Reply(200, json=HEALTHY))
    check = HttpCheck(
        url=http_server.url("/api/health"), response_check=f"{response_checks.__name__}.counted_until_ready"
    )
    waits = [asyncio.ensure_future(report_of(trigger(check, 0.2, seed=i))) for i in range(100)]
    await until(lambda: http_server.count("/api/health") >= 4)
    response_checks.READY.set()
    reports = await asyncio.wait_for(asyncio.gather(*waits), 10)
    assert {r.outcome for r in reports} == {"met"}
    # 100 waits judging each shared response on their own would call the check 100 times per response
    assert len(response_checks.CALLS) <= http_server.count("/api/health") + 1, (
        len(response_checks.CALLS),
        http_server.count("/api/health"),
    )
    assert SOURCES.live() == 0
