"""shared_probe's bookkeeping of interests, driven by an ask the test controls (the source's boundary)."""

import asyncio

from triggers.outcomes import Met
from triggers.shared_source import SOURCES, SourceKey, shared_probe


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
