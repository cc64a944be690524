"""shared_probe's bookkeeping of interests, driven by an ask the test controls (the source's boundary)."""

import asyncio
import contextlib

from triggers.outcomes import Met
from triggers.shared_source import SOURCES, WAKE_BATCH, SourceKey, begun, shared_probe


async def test_a_joining_wait_is_never_judged_on_an_answer_that_left_its_interest_out() -> None:
    release = asyncio.Event()
    asked: list[frozenset] = []

    async def ask(_resources, interests: frozenset) -> frozenset:
        asked.append(interests)
        await release.wait()
        return interests

    async def judge(value: frozenset) -> Met:
        return Met(sorted(value))

    async with shared_probe("test interests", ask, judge, interest=frozenset({1})) as one:
        first = asyncio.ensure_future(one.check())
        await asyncio.sleep(0.01)  # its asking, about 1 only, is in flight
        async with shared_probe("test interests", ask, judge, interest=frozenset({2})) as two:
            second = asyncio.ensure_future(two.check())
            await asyncio.sleep(0.01)
            release.set()
            answers = [(await first).value, (await second).value]
            # 1 is covered by the second answer too, which is newer: the first wait takes it next time
            assert (await one.check()).value == [1, 2]
        async with SOURCES.lease(SourceKey("test interests", ask)) as source:
            assert dict(source.interests) == {1: 1}  # the second wait left with its interest
    assert asked == [frozenset({1}), frozenset({1, 2})]
    assert answers == [[1], [1, 2]]
    assert SOURCES.live() == 0


async def test_an_answer_wakes_the_waits_in_batches_one_loop_iteration_apart() -> None:
    async def ask(_resources, _interests) -> str:
        return "answer"

    async def judge(value: str) -> Met:
        return Met(value)

    async with contextlib.AsyncExitStack() as stack:
        probes = [await stack.enter_async_context(shared_probe("test batches", ask, judge)) for _ in range(250)]
        await probes[0].check()  # it asks; its answer wakes the 249 others
        woken = [sum(p.wakeup.is_set() for p in probes)]
        for _ in range(3):
            await asyncio.sleep(0)
            woken.append(sum(p.wakeup.is_set() for p in probes))
    assert woken == [WAKE_BATCH, 2 * WAKE_BATCH, 249, 249]


async def test_waits_joining_while_an_asking_is_in_flight_share_one_follow_up_asking() -> None:
    # 1,000 order waits on one table starting together (a triggerer's start) each joined an asking
    # that left its order out and so asked at once: 1,000 askings, each about every order so far
    asked: list[frozenset] = []
    first_answered = asyncio.Event()

    async def ask(_resources, interests: frozenset) -> frozenset:
        asked.append(interests)
        if len(asked) == 1:
            await first_answered.wait()  # in flight until every wait has started its first look
        return interests

    async def judge(value: frozenset) -> Met:
        return Met(sorted(value))

    async with contextlib.AsyncExitStack() as stack:
        looks = []
        for order in range(100):
            probe = await stack.enter_async_context(
                shared_probe("test follow-up", ask, judge, interest=frozenset({order}))
            )
            looks.append(asyncio.ensure_future(probe.check()))
            await asyncio.sleep(0)  # its first look starts before the next wait joins
        first_answered.set()
        answers = await asyncio.gather(*looks)
    assert asked == [frozenset({0}), frozenset(range(100))]
    assert all(order in answer.value for order, answer in enumerate(answers))
    assert SOURCES.live() == 0


async def test_a_look_after_a_change_never_takes_an_answer_whose_asking_began_before_it() -> None:
    # a NOTIFY that arrives while an asking is in flight: that asking's query may have read the
    # table before the change was committed, so the notified waits must not take its answer; they
    # share one asking begun after the change
    asked: list[int] = []
    in_flight = asyncio.Event()

    async def ask(_resources, _interests) -> int:
        asked.append(len(asked) + 1)
        if len(asked) == 1:
            await in_flight.wait()
        return len(asked)  # the answer says which asking it is

    async def judge(value: int) -> Met:
        return Met(value)

    async with contextlib.AsyncExitStack() as stack:
        probes = [await stack.enter_async_context(shared_probe("test after", ask, judge)) for _ in range(3)]
        first = asyncio.ensure_future(probes[0].check())
        await asyncio.sleep(0.01)  # asking 1 is in flight
        changed = begun()  # the change is noticed now (what a NOTIFY's subscription records)
        for probe in probes[1:]:
            probe.after = changed
        later = [asyncio.ensure_future(p.check()) for p in probes[1:]]
        await asyncio.sleep(0.01)
        in_flight.set()
        assert (await first).value == 1  # the wait that did not hear of the change takes asking 1
        assert [(await look).value for look in later] == [2, 2]
        probes[0].after = changed
        assert (await probes[0].check()).value == 2  # an answer begun after the change, new to it
    assert asked == [1, 2]
