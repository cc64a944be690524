import asyncio

import pytest

from triggers.shared import SharedPool


class Opened:
    def __init__(self, key: str) -> None:
        self.key = key
        self.closed = False


def pool_with_log() -> tuple[SharedPool[str, Opened], list[str]]:
    log: list[str] = []

    async def open_(key: str) -> Opened:
        log.append(f"open {key}")
        await asyncio.sleep(0.01)
        return Opened(key)

    async def close(resource: Opened) -> None:
        log.append(f"close {resource.key}")
        resource.closed = True

    return SharedPool(open_, close), log


async def test_concurrent_leases_of_one_key_share_one_resource_closed_by_the_last() -> None:
    pool, log = pool_with_log()
    seen: list[Opened] = []
    release = asyncio.Event()

    async def user() -> None:
        async with pool.lease("api.example") as resource:
            seen.append(resource)
            await release.wait()

    users = [asyncio.ensure_future(user()) for _ in range(100)]
    await asyncio.sleep(0.05)
    assert pool.live() == 1
    release.set()
    await asyncio.gather(*users)
    assert len({id(r) for r in seen}) == 1
    assert log == ["open api.example", "close api.example"]
    assert pool.live() == 0


async def test_holders_counts_the_leases_of_a_key_until_they_leave() -> None:
    pool, _ = pool_with_log()
    assert pool.holders("a") == 0
    async with pool.lease("a"), pool.lease("a"), pool.lease("b"):
        assert (pool.holders("a"), pool.holders("b")) == (2, 1)
    assert (pool.holders("a"), pool.holders("b")) == (0, 0)


async def test_keys_get_separate_resources() -> None:
    pool, _ = pool_with_log()
    async with pool.lease("a") as a, pool.lease("b") as b:
        assert a is not b
        assert pool.live() == 2


async def test_a_failed_opening_is_retried_by_the_next_lease() -> None:
    attempts = []

    async def open_(key: str) -> str:
        attempts.append(key)
        if len(attempts) == 1:
            raise ConnectionRefusedError("down")
        return key

    async def close(resource: str) -> None:
        return None

    pool: SharedPool[str, str] = SharedPool(open_, close)
    with pytest.raises(ConnectionRefusedError):
        async with pool.lease("db"):
            pass
    async with pool.lease("db") as resource:
        assert resource == "db"
    assert attempts == ["db", "db"]


async def test_a_cancelled_leaseholder_does_not_break_the_others() -> None:
    pool, log = pool_with_log()

    async def hold() -> None:
        async with pool.lease("k"):
            await asyncio.sleep(10)

    first = asyncio.ensure_future(hold())
    await asyncio.sleep(0)
    async with pool.lease("k") as resource:
        first.cancel()
        await asyncio.sleep(0.02)
        assert not resource.closed
    assert log == ["open k", "close k"]


async def test_a_lease_cancelled_in_the_iteration_its_opening_finished_closes_what_was_opened() -> None:
    log: list[str] = []
    leaseholder: list[asyncio.Task[None]] = []

    async def open_(key: str) -> Opened:
        await asyncio.sleep(0)
        leaseholder[0].cancel()  # the trigger is cancelled just as its resource is ready
        log.append(f"open {key}")
        return Opened(key)

    async def close(resource: Opened) -> None:
        log.append(f"close {resource.key}")

    pool: SharedPool[str, Opened] = SharedPool(open_, close)

    async def hold() -> None:
        async with pool.lease("inotify"):
            await asyncio.sleep(10)

    leaseholder.append(asyncio.ensure_future(hold()))
    with pytest.raises(asyncio.CancelledError):
        await leaseholder[0]
    for _ in range(5):
        await asyncio.sleep(0)  # let a closing in the background finish
    assert log == ["open inotify", "close inotify"]
    assert pool.live() == 0


async def test_no_task_is_left_behind_when_every_lease_ends() -> None:
    pool, _ = pool_with_log()
    before = asyncio.all_tasks()
    async with pool.lease("a"), pool.lease("a"):
        pass
    assert asyncio.all_tasks() == before


async def test_acquire_and_release_share_one_resource_closed_by_the_last_release_in_any_order() -> None:
    pool, log = pool_with_log()
    first, second = await asyncio.gather(pool.acquire("k"), pool.acquire("k"))
    assert first is second
    assert log == ["open k"]
    await pool.release("k")
    assert not first.closed
    async with pool.lease("k") as third:  # a lease and an acquire of one key hold the same resource
        assert third is first
    assert not first.closed
    await pool.release("k")
    assert first.closed
    assert log == ["open k", "close k"]
    assert pool.live() == 0


async def test_an_acquire_cancelled_while_opening_counts_itself_out_and_the_opening_stops() -> None:
    pool, log = pool_with_log()
    before = asyncio.all_tasks()
    holder = asyncio.ensure_future(pool.acquire("k"))
    await asyncio.sleep(0)
    holder.cancel()
    with pytest.raises(asyncio.CancelledError):
        await holder
    for _ in range(5):
        await asyncio.sleep(0.01)  # the last holder gone, the owner is cancelled mid-opening
    assert log == ["open k"]  # nothing was opened, so nothing to close
    assert pool.live() == 0
    assert asyncio.all_tasks() == before


async def test_a_failed_acquire_needs_no_release() -> None:
    async def open_(key: str) -> str:
        raise ConnectionRefusedError("down")

    async def close(resource: str) -> None:
        return None

    pool: SharedPool[str, str] = SharedPool(open_, close)
    with pytest.raises(ConnectionRefusedError):
        await pool.acquire("db")
    assert pool.live() == 0


def made_pool() -> tuple[SharedPool[str, Opened], list[str]]:
    log: list[str] = []

    def make(key: str) -> Opened:
        if key == "broken":
            raise ValueError("cannot make it")
        log.append(f"make {key}")
        return Opened(key)

    async def close(resource: Opened) -> None:
        log.append(f"close {resource.key}")
        await asyncio.sleep(0.01)
        resource.closed = True

    return SharedPool(None, close, make=make), log


def test_a_pool_takes_an_opener_or_a_maker() -> None:
    async def close(resource: str) -> None:
        return None

    async def open_(key: str) -> str:
        return key

    with pytest.raises(TypeError, match="open_ or make"):
        SharedPool(None, close)
    with pytest.raises(TypeError, match="open_ or make"):
        SharedPool(open_, close, make=str)


async def test_a_made_resource_is_ready_in_the_first_acquire_and_closed_by_the_last_release() -> None:
    pool, log = made_pool()
    # no holder waits: each acquire completes without the loop running (one send, no suspension)
    acquiring = [pool.acquire("dir") for _ in range(3)]
    got = []
    for coroutine in acquiring:
        with pytest.raises(StopIteration) as stopped:
            coroutine.send(None)
        got.append(stopped.value.value)
    assert len({id(r) for r in got}) == 1
    assert pool.live() == 1
    for _ in range(2):
        await pool.release("dir")
    assert log == ["make dir"]
    await pool.release("dir")
    assert log == ["make dir", "close dir"]
    assert got[0].closed
    assert pool.live() == 0


async def test_a_made_resource_released_before_the_loop_runs_again_is_still_closed() -> None:
    pool, log = made_pool()
    async with pool.lease("dir") as resource:
        pass
    assert resource.closed
    assert log == ["make dir", "close dir"]


async def test_a_release_cancelled_while_a_made_resource_closes_lets_it_close() -> None:
    pool, log = made_pool()
    resource = await pool.acquire("dir")
    releasing = asyncio.ensure_future(pool.release("dir"))
    await asyncio.sleep(0)
    releasing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await releasing
    assert pool.live() == 0
    await asyncio.sleep(0.05)
    assert resource.closed
    assert log == ["make dir", "close dir"]


async def test_a_maker_that_raises_stores_nothing_and_the_next_acquire_makes_again() -> None:
    pool, log = made_pool()
    with pytest.raises(ValueError, match="cannot make it"):
        await pool.acquire("broken")
    assert pool.live() == 0
    async with pool.lease("dir"), pool.lease("dir"):
        assert pool.live() == 1
    assert log == ["make dir", "close dir"]


async def test_hold_and_let_go_share_a_made_resource_without_awaiting_and_the_last_let_go_closes_it() -> None:
    pool, log = made_pool()
    first, second = pool.hold("dir"), pool.hold("dir")
    assert first is second
    assert pool.live() == 1
    pool.let_go("dir")
    assert pool.live() == 1
    pool.let_go("dir")
    assert pool.live() == 0  # counted out at once; the close runs in the background
    await asyncio.sleep(0.05)
    assert first.closed
    assert log == ["make dir", "close dir"]


async def test_hold_refuses_a_pool_that_opens_its_resources_in_an_owner_task() -> None:
    async def open_(key: str) -> str:
        return key

    async def close(resource: str) -> None:
        pass

    with pytest.raises(TypeError, match="make="):
        SharedPool(open_, close).hold("k")
