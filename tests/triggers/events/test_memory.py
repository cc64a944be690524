"""Memory: keys held when emitted become durable after remember_after, bounded, and survive a rebuild."""

from __future__ import annotations

import pytest

from tests.support.state_store import AssetStateStoreFake
from triggers.events.memory import STATE_KEY, AssetStateStore, Memory, PreferredStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_held_key_is_seen_at_once_but_written_only_after_remember_after() -> None:
    fake, clock = AssetStateStoreFake(), Clock()
    memory = Memory(AssetStateStore(fake), remember_after=5.0, clock=clock)
    await memory.load()
    memory.hold("a|1|2.0")
    assert memory.seen("a|1|2.0")
    assert await memory.flush() == 0
    assert fake.writes == 0
    clock.now += 5.0
    assert await memory.flush() == 1
    assert fake.values[STATE_KEY]["emitted"] == {"a|1|2.0": 1000.0}


async def test_a_rebuilt_memory_sees_what_was_written_and_not_what_was_only_held() -> None:
    fake, clock = AssetStateStoreFake(), Clock()
    first = Memory(AssetStateStore(fake), remember_after=1.0, clock=clock)
    await first.load()
    first.hold("written")
    clock.now += 1.0
    await first.flush()
    first.hold("held only")  # the triggerer dies before it is due: a rebuilt watcher emits it again
    rebuilt = Memory(AssetStateStore(fake), remember_after=1.0, clock=clock)
    await rebuilt.load()
    assert rebuilt.seen("written")
    assert not rebuilt.seen("held only")


async def test_the_memory_keeps_only_the_newest_keys() -> None:
    fake, clock = AssetStateStoreFake(), Clock()
    memory = Memory(AssetStateStore(fake), remember_after=0.0, limit=3, clock=clock)
    await memory.load()
    for key in "abcde":
        clock.now += 1
        memory.hold(key)
        await memory.flush()
    assert sorted(fake.values[STATE_KEY]["emitted"]) == ["c", "d", "e"]


async def test_a_failed_write_keeps_the_keys_held_for_the_next_flush() -> None:
    fake, clock = AssetStateStoreFake(), Clock()
    memory = Memory(AssetStateStore(fake), remember_after=0.0, clock=clock)
    await memory.load()
    memory.hold("k")
    fake.error = ConnectionError("api-server down")
    with pytest.raises(ConnectionError):
        await memory.flush()
    fake.error = None
    assert await memory.flush() == 1
    assert "k" in fake.values[STATE_KEY]["emitted"]


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param(None, id="nothing"),
        pytest.param("not a dict", id="not-a-dict"),
        pytest.param({"version": 99, "emitted": {"x": 1}}, id="other-version"),
        pytest.param({"version": 1, "emitted": ["x"]}, id="malformed"),
    ],
)
async def test_a_missing_or_foreign_value_starts_an_empty_memory(stored: object) -> None:
    fake = AssetStateStoreFake()
    if stored is not None:
        fake.values[STATE_KEY] = stored
    memory = Memory(AssetStateStore(fake), remember_after=0.0)
    await memory.load()
    assert memory.loaded
    assert not memory.seen("x")
    assert memory.mark is None


async def test_the_mark_is_remembered_with_the_keys() -> None:
    fake, clock = AssetStateStoreFake(), Clock()
    memory = Memory(AssetStateStore(fake), remember_after=0.0, clock=clock)
    await memory.load()
    memory.hold(None, "down", with_mark=True)
    await memory.flush()
    rebuilt = Memory(AssetStateStore(fake), remember_after=0.0)
    await rebuilt.load()
    assert rebuilt.mark == "down"


class SeveralAssets(AssetStateStoreFake):
    async def aget(self, key: str, default: object = None) -> object:
        raise ValueError("Task has 2 concrete inlets and outlets")


async def test_a_watcher_of_several_assets_falls_back_to_its_own_store() -> None:
    fallback = AssetStateStoreFake()
    store = PreferredStore(AssetStateStore(SeveralAssets()), AssetStateStore(fallback))
    memory = Memory(store, remember_after=0.0)
    await memory.load()
    memory.hold("k")
    await memory.flush()
    assert "k" in fallback.values[STATE_KEY]["emitted"]
