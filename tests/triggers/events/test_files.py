"""FileEventTrigger on a real directory: one event per complete file, remembered across a rebuild."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from tests.support.state_store import AssetStateStoreFake
from tests.triggers.events.watching import Collector, eventually
from triggers.events import FileEventTrigger
from triggers.events.memory import STATE_KEY
from triggers.files import FileCheck


def watcher(store: AssetStateStoreFake, pattern: str, **rules: Any) -> FileEventTrigger:
    trigger = FileEventTrigger(check=FileCheck(pattern, **rules).to_dict(), interval=0.5, remember_after=0.05)
    trigger.asset_state_store = store
    return trigger


def drop(path: Path, data: str = "a,b\n") -> Path:
    """Write a file the way a careful partner does: a hidden temp name, then an atomic rename."""
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(data)
    os.replace(temp, path)
    return path


async def test_each_complete_file_is_one_event_keyed_by_path_size_and_mtime(tmp_path: Path) -> None:
    store = AssetStateStoreFake()
    async with Collector(watcher(store, f"{tmp_path}/*.csv")) as seen:
        for i in range(5):
            drop(tmp_path / f"part-{i}.csv", "x" * (i + 1))
        events = await seen.until(5)
        await asyncio.sleep(0.3)  # more wakeups, no repeats
    assert len(seen.events) == 5
    stat = (tmp_path / "part-2.csv").stat()
    third = next(e for e in events if e["path"] == f"{tmp_path}/part-2.csv")
    assert third == {
        "key": f"{tmp_path}/part-2.csv|3|{stat.st_mtime!r}",
        "pattern": f"{tmp_path}/*.csv",
        "path": f"{tmp_path}/part-2.csv",
        "size": 3,
        "mtime": stat.st_mtime,
    }


async def test_a_rewritten_file_is_a_new_change(tmp_path: Path) -> None:
    store = AssetStateStoreFake()
    async with Collector(watcher(store, f"{tmp_path}/*.csv")) as seen:
        drop(tmp_path / "a.csv", "1")
        await seen.until(1)
        drop(tmp_path / "a.csv", "22")
        events = await seen.until(2)
    assert [e["size"] for e in events] == [1, 2]


async def test_a_rebuilt_watcher_skips_what_was_emitted_and_emits_what_came_while_it_was_gone(tmp_path: Path) -> None:
    store = AssetStateStoreFake()
    async with Collector(watcher(store, f"{tmp_path}/*.csv")) as first:
        drop(tmp_path / "before.csv")
        await first.until(1)
        await eventually(lambda: bool(store.values.get(STATE_KEY, {}).get("emitted")), 5, "the key written")
    drop(tmp_path / "while-down.csv")  # no watcher runs now
    async with Collector(watcher(store, f"{tmp_path}/*.csv")) as rebuilt:
        events = await rebuilt.until(1)
        await asyncio.sleep(0.5)
    assert [e["path"] for e in rebuilt.events] == [f"{tmp_path}/while-down.csv"] == [e["path"] for e in events]


@pytest.mark.parametrize(
    ("rules", "incomplete", "complete"),
    [
        pytest.param({"min_size": 3}, "1", "123", id="min_size"),
        pytest.param({"marker_suffix": ".done"}, None, ".done", id="marker"),
    ],
)
async def test_an_incomplete_file_waits_for_the_checks_rules(
    tmp_path: Path, rules: dict[str, Any], incomplete: str | None, complete: str
) -> None:
    store = AssetStateStoreFake()
    async with Collector(watcher(store, f"{tmp_path}/*.csv", **rules)) as seen:
        drop(tmp_path / "a.csv", incomplete or "data")
        await asyncio.sleep(0.4)
        assert seen.events == []
        if complete.startswith("."):
            (tmp_path / f"a.csv{complete}").write_text("")
        else:
            drop(tmp_path / "a.csv", complete)
        events = await seen.until(1)
    assert events[0]["path"] == f"{tmp_path}/a.csv"


async def test_a_source_error_is_retried_and_the_watcher_keeps_watching(tmp_path: Path) -> None:
    # The exact path is a directory: a permanent error for a sensor; a watcher retries until it is a file.
    target = tmp_path / "report.csv"
    target.mkdir()
    store = AssetStateStoreFake()
    trigger = watcher(store, str(target))
    async with Collector(trigger) as seen:
        await asyncio.sleep(0.3)
        target.rmdir()
        drop(target)
        events = await seen.until(1, timeout=15)
    assert events[0]["path"] == str(target)


async def test_an_unreadable_memory_holds_events_back_until_it_can_be_read(tmp_path: Path) -> None:
    store = AssetStateStoreFake()
    store.error = ConnectionError("api-server restarting")
    async with Collector(watcher(store, f"{tmp_path}/*.csv")) as seen:
        drop(tmp_path / "a.csv")
        await asyncio.sleep(0.4)
        assert seen.events == []  # without its memory it could repeat an event: it waits
        store.error = None
        drop(tmp_path / "b.csv")
        events = await seen.until(2)
    assert sorted(e["path"] for e in events) == [f"{tmp_path}/a.csv", f"{tmp_path}/b.csv"]


def test_watchers_of_one_pattern_share_a_producer_whatever_their_other_rules(tmp_path: Path) -> None:
    pattern = f"{tmp_path}/*.csv"
    small = FileEventTrigger(check=FileCheck(pattern).to_dict())
    large = FileEventTrigger(check=FileCheck(pattern, min_size=100, max_age=60).to_dict())
    other = FileEventTrigger(check=FileCheck(f"{tmp_path}/*.json").to_dict())
    assert small.shared_stream_key() == large.shared_stream_key() != other.shared_stream_key()


async def test_shared_stream_events_reach_each_watcher_through_its_own_rules(tmp_path: Path) -> None:
    pattern = f"{tmp_path}/*.csv"
    small, large = (
        FileEventTrigger(check=FileCheck(pattern, min_size=size).to_dict(), interval=0.5, remember_after=0.05)
        for size in (1, 3)
    )
    for trigger in (small, large):
        trigger.asset_state_store = AssetStateStoreFake()
    stream = FileEventTrigger.open_shared_stream(small.serialize()[1])
    observations: asyncio.Queue[Any] = asyncio.Queue()

    async def fan_out() -> None:
        async for observation in stream:
            await observations.put(observation)

    async def replay() -> Any:
        while True:
            yield await observations.get()

    producer = asyncio.create_task(fan_out())
    drop(tmp_path / "a.csv", "12")
    drop(tmp_path / "b.csv", "1234")
    got: dict[str, list[str]] = {"small": [], "large": []}
    try:
        for name, trigger in (("small", small), ("large", large)):
            async for event in trigger.filter_shared_stream(replay()):
                got[name].append(os.path.basename(event.payload["path"]))
                if name == "large" or len(got[name]) == 2:
                    break
    finally:
        producer.cancel()
    assert sorted(got["small"]) == ["a.csv", "b.csv"]
    assert got["large"] == ["b.csv"]


def test_a_bad_check_is_kept_as_a_problem_not_raised(tmp_path: Path) -> None:
    trigger = FileEventTrigger(check={"kind": "file", "path": "relative/*.csv"})
    assert trigger.problem is not None
    assert "absolute" in trigger.problem
    assert trigger.shared_stream_key() is None


async def test_a_watcher_with_a_problem_logs_it_and_stays_idle(capsys: pytest.CaptureFixture[str]) -> None:
    trigger = FileEventTrigger(check={"kind": "file", "path": "relative/*.csv"}, interval=-1)
    async with Collector(trigger) as seen:
        await asyncio.sleep(0.3)
        assert seen.task is not None
        assert not seen.task.done()
    assert seen.events == []
    assert capsys.readouterr().out.count("cannot watch: ConfigurationError: interval: must be > 0, got -1") == 1


def test_an_unknown_keyword_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        FileEventTrigger(check=FileCheck("/data/*.csv").to_dict(), intervall=3)  # type: ignore[call-arg]  # the point


async def test_a_watcher_stopped_within_remember_after_emits_the_change_again_with_the_same_key(
    tmp_path: Path,
) -> None:
    # The documented window: a triggerer killed before the key is written repeats the event.
    store = AssetStateStoreFake()
    slow = FileEventTrigger(check=FileCheck(f"{tmp_path}/*.csv").to_dict(), interval=0.5, remember_after=60)
    slow.asset_state_store = store
    async with Collector(slow) as first:
        drop(tmp_path / "a.csv")
        (event,) = await first.until(1)
    assert STATE_KEY not in store.values
    async with Collector(watcher(store, f"{tmp_path}/*.csv")) as rebuilt:
        (again,) = await rebuilt.until(1)
    assert again["key"] == event["key"]
