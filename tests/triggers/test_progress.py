"""The progress publisher: one Variable per wait, written on a change of state, bounded in rate and size."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest

from tests.support.checks import script
from tests.support.fake_time import FakeTime
from triggers.breaker import CircuitBreaker
from triggers.cadence import Fixed
from triggers.history import Attempt
from triggers.outcomes import Met, NotYet
from triggers.poll_loop import PollLoop
from triggers.poll_trigger import PollTrigger
from triggers.progress import MAX_BYTES, ProgressPublisher, Snapshot, progress_key, publisher_for


class RecordingSink:
    """The Variable API at the boundary: every put and delete, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str | None]] = []
        self.values: dict[str, str] = {}

    async def put(self, key: str, value: str) -> None:
        self.calls.append(("put", key, value))
        self.values[key] = value

    async def delete(self, key: str) -> None:
        self.calls.append(("delete", key, None))
        self.values.pop(key, None)


def snapshot() -> Snapshot:
    return Snapshot("d", "r", "t", -1, 1, kind="http", what="GET http://x/health", started_at=100.0)


def not_yet(at: float, error: str | None = None, interval: float = 10.0) -> tuple[Attempt, NotYet]:
    outcome = NotYet("status 503" if error else "not yet", error=error)
    return Attempt(at=at, duration=0.5, outcome="not_yet", error=error, interval=interval), outcome


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_writes_on_a_change_of_state_only_and_refreshes_at_most_every_refresh_seconds() -> None:
    time = FakeTime(1000.0)
    sink = RecordingSink()
    publish = ProgressPublisher("k", snapshot(), sink, min_gap=5.0, refresh=120.0, clock=time.clock)
    for step, error in enumerate([None, None, None, "ConnectionError", "ConnectionError", None]):
        time.now = 1000.0 + step * 10
        publish(*not_yet(time.now, error))
        await settle()
    written = [json.loads(value) for _, _, value in sink.calls if value]
    # first attempt, the error appearing, the error clearing: three writes for six attempts
    assert [(w["attempts"], w["error"]) for w in written] == [(1, None), (4, "ConnectionError"), (6, None)]
    time.now += 200  # no change for longer than ``refresh``: one refresh
    publish(*not_yet(time.now))
    await settle()
    assert [json.loads(v)["attempts"] for _, _, v in sink.calls if v][-1] == 7


async def test_a_flapping_source_is_written_at_most_once_per_min_gap() -> None:
    time = FakeTime(1000.0)
    sink = RecordingSink()
    publish = ProgressPublisher("k", snapshot(), sink, min_gap=5.0, refresh=120.0, clock=time.clock)
    for step in range(20):  # a change every second
        time.now = 1000.0 + step
        publish(*not_yet(time.now, "Timeout" if step % 2 else None, interval=1.0))
        await settle()
    assert len(sink.calls) == 4  # at 0, 5, 10 and 15 s


async def test_the_snapshot_says_what_the_wait_does_now_and_the_end_deletes_it() -> None:
    time = FakeTime(1000.0)
    sink = RecordingSink()
    breaker = CircuitBreaker(1, 30.0)
    breaker.record(errored=True, now=1000.0)
    publish = ProgressPublisher("k", snapshot(), sink, breaker=breaker, clock=time.clock)
    publish(*not_yet(1000.0, "ConnectionError", interval=30.0))
    await settle()
    now = Snapshot.from_json(sink.values["k"])
    assert (now.attempts, now.outcome, now.error, now.breaker, now.interval) == (
        1,
        "not_yet",
        "ConnectionError",
        "open",
        30.0,
    )
    assert now.next_at == pytest.approx(1030.5)
    assert now.reason == "status 503"
    publish(Attempt(at=1031.0, duration=0.1, outcome="met"), Met(True))
    await settle()
    assert sink.calls[-1] == ("delete", "k", None)
    assert sink.values == {}


async def test_a_slow_write_is_followed_by_the_newest_snapshot_only() -> None:
    time = FakeTime(1000.0)
    gate = asyncio.Event()

    class SlowSink(RecordingSink):
        async def put(self, key: str, value: str) -> None:
            await gate.wait()
            await super().put(key, value)

    sink = SlowSink()
    publish = ProgressPublisher("k", snapshot(), sink, min_gap=0.0, clock=time.clock)
    for step, error in enumerate([None, "A", "B", "C"]):
        time.now = 1000.0 + step
        publish(*not_yet(time.now, error))
        await settle()
    gate.set()
    await settle()
    assert [json.loads(v)["error"] for _, _, v in sink.calls] == [None, "C"]
    assert Snapshot.from_json(sink.values["k"]).publish_ms is not None


async def test_a_failing_write_never_fails_the_wait(caplog: pytest.LogCaptureFixture) -> None:
    class BrokenSink(RecordingSink):
        async def put(self, key: str, value: str) -> None:
            raise ConnectionError("api-server down")

    publish = ProgressPublisher("k", snapshot(), BrokenSink())
    publish(*not_yet(1000.0))
    await settle()
    assert "not written (ConnectionError: api-server down)" in caplog.text


def test_the_snapshot_is_bounded_in_size_and_masks_nothing_away_it_needs() -> None:
    big = snapshot()
    big.what = "x" * 5000
    big.reason = "y" * 5000
    raw = big.to_json()
    assert len(raw.encode()) <= MAX_BYTES
    assert Snapshot.from_json(raw).task_id == "t"
    with pytest.raises(ValueError, match="version-1"):
        Snapshot.from_json('{"version": 99}')


async def test_a_poll_loop_publishes_through_its_observer_and_retire_cleans_up() -> None:
    time = FakeTime()
    sink = RecordingSink()
    publish = ProgressPublisher("k", snapshot(), sink, clock=time.clock)
    check = script("progress", NotYet("a"), NotYet("b"), Met(True))
    loop = PollLoop(
        check, Fixed(10.0), clock=time.clock, monotonic=time.monotonic, pause=time.pause, observers=[publish]
    )
    report = await loop.run()
    await settle()
    assert report.outcome == "met"
    assert [c[0] for c in sink.calls] == ["put", "delete"]
    await publish.retire()  # already deleted at the end: no second delete
    assert [c[0] for c in sink.calls] == ["put", "delete"]


@pytest.mark.airflow_min("3.3", reason="a trigger publishes progress only where the comms take concurrent requests")
def test_a_trigger_publishes_only_for_a_task_instance() -> None:
    trigger = PollTrigger(check=script("progress-trigger", Met(True)).to_dict(), cadence=Fixed(1.0).to_dict())
    assert publisher_for(trigger, None) is None
    trigger.task_instance = SimpleNamespace(
        id="0190-ab", dag_id="d", run_id="r", task_id="t", map_index=-1, try_number=2
    )
    publisher = publisher_for(trigger, None, RecordingSink())
    assert publisher is not None
    assert publisher.key == progress_key("0190-ab") == "deferrable_sensors.now.0190-ab"
    assert (publisher.snapshot.dag_id, publisher.snapshot.try_number) == ("d", 2)
    trigger.make_loop()
    assert trigger.progress is not None


async def test_a_wait_met_at_its_first_check_writes_nothing() -> None:
    sink = RecordingSink()
    publish = ProgressPublisher("k", snapshot(), sink)
    publish(Attempt(at=1000.0, duration=0.1, outcome="met"), Met(True))
    await settle()
    await publish.retire()
    assert sink.calls == []
