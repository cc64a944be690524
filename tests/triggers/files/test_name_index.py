"""A directory's name index: one waiter held alone, two or more in a list, leaving in any order."""

import asyncio
import itertools
import logging
import time
from pathlib import Path

import pytest

from triggers.cadence import Fixed
from triggers.files import FileCheck, FileWatchTrigger
from triggers.files.directory import DIRECTORIES
from triggers.files.waiter import NameIndex, Waiter
from triggers.report import Report


def waiter(name: str) -> Waiter:
    return Waiter(FileCheck(f"/data/{name}"), Fixed(1.0), None, logging.getLogger(__name__))


async def test_a_name_holds_one_waiter_then_two_then_one_again() -> None:
    index = NameIndex()
    first, second = waiter("a.csv"), waiter("a.csv")
    assert index.add("a.csv", first) is True
    assert index.get("a.csv") == (first,)
    assert index.add("a.csv", second) is False
    assert list(index.get("a.csv")) == [first, second]
    index.remove("a.csv", first)
    assert index.get("a.csv") == (second,)
    index.remove("a.csv", second)
    assert index.get("a.csv") == ()
    assert list(index.names()) == []


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
async def test_waiters_of_one_name_leave_in_any_order_and_leave_nothing(order: tuple[int, ...]) -> None:
    index = NameIndex()
    waiters = [waiter("a.csv") for _ in range(3)]
    other = waiter("b.csv")
    for w in waiters:
        index.add("a.csv", w)
    index.add("b.csv", other)
    left = set(range(3))
    for i in order:
        index.remove("a.csv", waiters[i])
        left.discard(i)
        assert set(index.get("a.csv")) == {waiters[j] for j in left}
    assert list(index.names()) == ["b.csv"]
    assert index.get("b.csv") == (other,)


async def test_removing_a_waiter_not_indexed_changes_nothing() -> None:
    index = NameIndex()
    first, stranger = waiter("a.csv"), waiter("a.csv")
    index.remove("a.csv", stranger)
    index.add("a.csv", first)
    index.remove("a.csv", stranger)
    assert index.get("a.csv") == (first,)
    index.add("a.csv", waiter("a.csv"))
    index.remove("a.csv", stranger)
    assert len(index.get("a.csv")) == 2


async def test_waits_on_one_name_end_or_are_cancelled_in_any_order_and_leave_no_directory(tmp_path: Path) -> None:
    check = FileCheck(str(tmp_path / "a.csv"), watch=False).to_dict()

    async def report_of() -> Report:
        waiting = FileWatchTrigger(check=check, cadence=Fixed(0.05).to_dict(), deadline=time.time() + 30)
        async for event in waiting.run():
            return Report.from_event(event.payload)
        raise AssertionError("the trigger ended without an event")

    waits = [asyncio.ensure_future(report_of()) for _ in range(3)]
    async with DIRECTORIES.lease((str(tmp_path), False)) as directory:
        await asyncio.sleep(0.2)
        assert len(directory.by_name.get("a.csv")) == 3
        waits[1].cancel()
        await asyncio.sleep(0.1)
        assert len(directory.by_name.get("a.csv")) == 2
        (tmp_path / "a.csv").write_text("x")
        reports = await asyncio.wait_for(asyncio.gather(waits[0], waits[2]), 5)
        assert [r.outcome for r in reports] == ["met", "met"]
        assert list(directory.by_name.names()) == []
        assert not directory.waiters
    assert DIRECTORIES.live() == 0
