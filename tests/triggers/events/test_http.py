"""HealthEventTrigger against a real loopback server: one event per transition, never one per poll."""

from __future__ import annotations

import asyncio

from tests.support.http_server import LoopbackServer, Reply
from tests.support.state_store import AssetStateStoreFake
from tests.triggers.events.watching import Collector, eventually
from triggers.events import HealthEventTrigger
from triggers.events.memory import STATE_KEY
from triggers.http import HttpCheck

UP = Reply(200, json={"status": "ok"})
DOWN = Reply(503, body="maintenance")


def watcher(server: LoopbackServer, store: AssetStateStoreFake, confirmations: int = 2) -> HealthEventTrigger:
    check = HttpCheck(server.url("/health"), request_timeout=10, connect_timeout=5)
    trigger = HealthEventTrigger(
        check=check.to_dict(), interval=0.05, confirmations=confirmations, remember_after=0.05, attempt_timeout=10
    )
    trigger.asset_state_store = store
    return trigger


async def test_an_outage_is_two_events_down_then_up_however_many_polls_it_spans(http_server: LoopbackServer) -> None:
    http_server.script("/health", UP, UP, UP, *[DOWN] * 12, UP)
    async with Collector(watcher(http_server, AssetStateStoreFake())) as seen:
        events = await seen.until(2)
        await eventually(lambda: http_server.count("/health") > 25, 10, "more polls while up")
    assert [e["transition"] for e in seen.events] == ["down", "up"]
    down, up = events
    assert down["key"] == f"{http_server.url('/health')}|down|{down['at']:.3f}"
    assert "503" in down["reason"]
    assert up["reason"] == ""
    assert down["at"] < up["at"]


async def test_a_single_failed_poll_is_not_an_outage(http_server: LoopbackServer) -> None:
    http_server.script("/health", UP, UP, DOWN, UP)
    async with Collector(watcher(http_server, AssetStateStoreFake())) as seen:
        await eventually(lambda: http_server.count("/health") > 10, 10, "polls")
    assert seen.events == []


async def test_a_refused_connection_counts_as_down() -> None:
    with LoopbackServer() as server:
        server.script("/health", UP)
        store = AssetStateStoreFake()
        async with Collector(watcher(server, store, confirmations=1)) as seen:
            await eventually(lambda: store.values.get(STATE_KEY, {}).get("mark") == "up", 5, "the baseline")
            url = server.url("/health")
    trigger = HealthEventTrigger(
        check=HttpCheck(url, connect_timeout=1, request_timeout=2).to_dict(),
        interval=0.05,
        confirmations=1,
        remember_after=0.05,
    )
    trigger.asset_state_store = store
    async with Collector(trigger) as seen:
        events = await seen.until(1)
    assert events[0]["transition"] == "down"
    assert events[0]["url"] == url


async def test_a_rebuilt_watcher_announces_only_a_health_that_differs_from_what_it_remembers(
    http_server: LoopbackServer,
) -> None:
    store = AssetStateStoreFake()
    http_server.script("/health", UP, *[DOWN] * 4)
    async with Collector(watcher(http_server, store)) as first:
        await first.until(1)
        await eventually(lambda: store.values.get(STATE_KEY, {}).get("mark") == "down", 5, "down remembered")
    async with Collector(watcher(http_server, store)) as still_down:
        await asyncio.sleep(0.4)
    assert still_down.events == []
    http_server.script("/health", UP)  # recovered while no watcher ran
    async with Collector(watcher(http_server, store)) as rebuilt:
        events = await rebuilt.until(1)
        await asyncio.sleep(0.3)
    assert [e["transition"] for e in rebuilt.events] == ["up"] == [e["transition"] for e in events]


def test_watchers_of_one_endpoint_share_a_producer_whatever_their_confirmations(http_server: LoopbackServer) -> None:
    one, two = (watcher(http_server, AssetStateStoreFake(), confirmations=n) for n in (1, 3))
    assert one.shared_stream_key() == two.shared_stream_key()


def test_bad_confirmations_are_a_problem_not_an_exception() -> None:
    trigger = HealthEventTrigger(check=HttpCheck("http://127.0.0.1:9/").to_dict(), confirmations=0)
    assert trigger.problem is not None
    assert "confirmations" in trigger.problem
