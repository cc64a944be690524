"""HttpHealthTrigger and the poll loop over a real loopback server: backoff, Retry-After, breaker, sharing."""

import asyncio
import logging
import random

import pytest

from tests.support.contract import assert_never_blocks
from tests.support.fake_time import FakeTime
from tests.support.http_server import LoopbackServer, Reply
from triggers.breaker import CircuitBreaker
from triggers.cadence import Backoff, Fixed
from triggers.http import HttpCheck, HttpHealthTrigger
from triggers.http.exchange import MAX_CONNECTIONS, SESSIONS
from triggers.poll_loop import PollLoop

HEALTHY = {"status": "healthy", "version": "1.0"}


def outage(server: LoopbackServer, clock: FakeTime, until: float) -> None:
    """Answer 503 while the fake clock is before ``until``, then healthy."""
    server.script("/api/health", lambda request: Reply(503) if clock.now < until else Reply(200, json=HEALTHY))


def loop_for(server: LoopbackServer, clock: FakeTime, cadence, **settings) -> PollLoop:
    return PollLoop(
        check=HttpCheck(url=server.url("/api/health")),
        cadence=cadence,
        clock=clock.clock,
        monotonic=clock.monotonic,
        pause=clock.pause,
        rng=random.Random(7),
        **settings,
    )


async def test_backoff_sends_a_handful_of_requests_through_a_ten_minute_outage(http_server) -> None:
    clock = FakeTime()
    outage(http_server, clock, until=clock.now + 600)
    report = await loop_for(http_server, clock, Backoff(base=5, factor=2, cap=120, jitter=0.2)).run()
    backed_off = http_server.count("/api/health")
    http_server.reset()
    clock = FakeTime()
    outage(http_server, clock, until=clock.now + 600)
    await loop_for(http_server, clock, Fixed(5)).run()
    fixed = http_server.count("/api/health")
    assert report.outcome == "met"
    assert (backed_off, fixed) == (10, 121)  # 5 s polling sends 120 requests into the outage; backoff 9


async def test_backoff_delays_grow_with_jitter_below_the_cap(http_server) -> None:
    clock = FakeTime()
    outage(http_server, clock, until=clock.now + 600)
    await loop_for(http_server, clock, Backoff(base=5, factor=2, cap=120, jitter=0.2)).run()
    growing = clock.sleeps[:4]
    assert growing == sorted(growing)
    assert all(0.8 * 5 * 2**k <= d <= 5 * 2**k for k, d in enumerate(growing, start=1))
    assert max(clock.sleeps) <= 120


async def test_retry_after_on_503_sets_the_next_delay(http_server) -> None:
    clock = FakeTime()
    http_server.script("/api/health", Reply(503, headers={"Retry-After": "42"}), Reply(200, json=HEALTHY))
    await loop_for(http_server, clock, Fixed(1)).run()
    assert clock.sleeps == [42]


async def test_the_breaker_opens_stops_calls_and_one_probe_closes_it(http_server, caplog) -> None:
    clock = FakeTime()
    outage(http_server, clock, until=clock.now + 10)
    breaker = CircuitBreaker(failure_threshold=3, recovery_timeout=60)
    with caplog.at_level(logging.INFO, logger="triggers.poll_loop"):
        report = await loop_for(http_server, clock, Fixed(1), breaker=breaker).run()
    assert http_server.count("/api/health") == 4  # three errors open it; the half-open probe finds it healthy
    assert clock.sleeps == [1, 1, 1, 59]
    transitions = [r.getMessage() for r in caplog.records if "circuit breaker" in r.getMessage()]
    assert ["closed -> open" in transitions[0], "half_open -> closed" in transitions[-1]] == [True, True]
    assert (report.outcome, report.breaker) == ("met", "closed")
    moves = [(t["from"], t["to"]) for t in report.detail["breaker_transitions"]]
    assert moves == [("closed", "open"), ("half_open", "closed")]


async def test_a_breaker_probe_that_fails_reopens_it(http_server) -> None:
    clock = FakeTime()
    outage(http_server, clock, until=clock.now + 100)
    breaker = CircuitBreaker(failure_threshold=2, recovery_timeout=30)
    await loop_for(http_server, clock, Fixed(1), breaker=breaker).run()
    # errors at 0 and 1 open it; probes at 31, 61 and 91 fail and reopen it; the one at 121 finds it healthy
    assert http_server.count("/api/health") == 6


async def test_concurrent_triggers_on_one_host_share_one_session_and_few_connections(http_server) -> None:
    http_server.script("/api/health", Reply(503, delay=0.01))
    check = HttpCheck(url=http_server.url("/api/health"), share_probe=False).to_dict()
    triggers = [HttpHealthTrigger(check=check, cadence=Fixed(0.1).to_dict(), seed=i) for i in range(200)]

    async def run(trigger: HttpHealthTrigger) -> None:
        async for _ in trigger.run():
            break

    tasks = [asyncio.ensure_future(run(t)) for t in triggers]
    for _ in range(300):  # until every trigger has asked twice (bounded: a loaded machine is slow)
        if http_server.count("/api/health") >= 400:
            break
        await asyncio.sleep(0.1)
    assert SESSIONS.live() == 1
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert SESSIONS.live() == 0
    assert http_server.count("/api/health") >= 400
    assert http_server.connections("/api/health") <= MAX_CONNECTIONS


async def test_different_credentials_never_share_a_session(http_server, monkeypatch) -> None:
    for name, token in (("team_a", "token-aaaaaaaa"), ("team_b", "token-bbbbbbbb")):
        conn = f'{{"conn_type": "http", "host": "127.0.0.1", "port": {http_server.port}, "password": "{token}"}}'
        monkeypatch.setenv(f"AIRFLOW_CONN_{name.upper()}", conn)
    http_server.script("/api/health", Reply(503))
    checks = [HttpCheck(url="/api/health", http_conn_id=n, auth_type="bearer") for n in ("team_a", "team_b")]
    async with checks[0].opened() as first, checks[1].opened() as second:
        await first.check()
        await second.check()
        assert SESSIONS.live() == 2


async def test_the_trigger_yields_a_met_report_with_the_response_summary(http_server) -> None:
    http_server.script("/api/health", Reply(503), Reply(200, json=HEALTHY))
    check = HttpCheck(url=http_server.url("/api/health"), expected_json={"status": "healthy"})
    trigger = HttpHealthTrigger(check=check.to_dict(), cadence=Fixed(0.05).to_dict())
    event = await anext(aiter(trigger.run()))
    assert (event.payload["outcome"], event.payload["attempts"]) == ("met", 2)
    assert event.payload["value"]["json"] == HEALTHY
    assert event.payload["detail"]["last_response"]["status"] == 200


@pytest.mark.parametrize(
    ("reply", "settings"),
    [
        pytest.param(Reply(403), {"permanent_statuses": (), "not_yet_statuses": (403,)}, id="403-as-not-yet"),
        pytest.param(Reply(404), {}, id="404"),
        pytest.param(Reply(429), {}, id="429-without-retry-after"),
        pytest.param(Reply(429, headers={"Retry-After": "0"}), {}, id="429-retry-after-0"),
        pytest.param(Reply(500), {}, id="500"),
        pytest.param(Reply(503), {}, id="503"),
        pytest.param(Reply(200, body="<html>"), {"expected_json": {"ok": True}}, id="invalid-json"),
        pytest.param(Reply(200, json={"ok": False}), {"expected_json": {"ok": True}}, id="body-mismatch"),
    ],
)
async def test_no_status_makes_a_hot_loop(http_server, reply, settings) -> None:
    clock = FakeTime()
    http_server.script("/api/health", reply)
    loop = loop_for(http_server, clock, Fixed(1), deadline=clock.now + 10)
    loop.check = HttpCheck(url=http_server.url("/api/health"), **settings)
    report = await loop.run()
    assert report.outcome == "timeout"
    assert http_server.count("/api/health") <= 10
    assert min(clock.sleeps) >= 1


def test_a_blocking_response_check_runs_off_the_loop(http_server) -> None:
    http_server.script("/api/health", Reply(200, json=HEALTHY))
    check = HttpCheck(
        url=http_server.url("/api/health"), response_check="tests.triggers.http.response_checks.slow_but_healthy"
    )
    assert_never_blocks(lambda: HttpHealthTrigger(check=check.to_dict(), cadence=Fixed(0.05).to_dict()))
