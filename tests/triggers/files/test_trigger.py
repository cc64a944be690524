import asyncio
import time
from pathlib import Path

from tests.support.checks import NeverCheck
from triggers.cadence import Fixed
from triggers.files import FileCheck, FileWatchTrigger
from triggers.report import Report

# Far longer than any test waits: a test that finishes proves something other than polling woke it.
SLOW_POLL = Fixed(60).to_dict()


def trigger(check: FileCheck, *, cadence=None, seconds: float = 30) -> FileWatchTrigger:
    return FileWatchTrigger(check=check.to_dict(), cadence=cadence or SLOW_POLL, deadline=time.time() + seconds)


async def first_report(trigger: FileWatchTrigger, *, within: float = 10) -> Report:
    async def run() -> Report:
        async for event in trigger.run():
            return Report.from_event(event.payload)
        raise AssertionError("the trigger ended without an event")

    return await asyncio.wait_for(run(), within)


async def land_later(path: Path, data: str = "a,b\n", *, after: float = 0.2) -> None:
    await asyncio.sleep(after)
    await asyncio.to_thread(path.write_text, data)


def test_the_trigger_takes_only_file_checks() -> None:
    problem = FileWatchTrigger(check=NeverCheck().to_dict(), cadence=SLOW_POLL).problem
    assert problem is not None
    assert "argument 'check': check: FileWatchTrigger takes" in problem


async def test_polling_alone_finds_a_file_that_lands_later(tmp_path) -> None:
    path = tmp_path / "drop.csv"
    waiting = trigger(FileCheck(str(path), watch=False), cadence=Fixed(0.05).to_dict())
    landing = asyncio.ensure_future(land_later(path))
    report = await first_report(waiting)
    await landing
    assert report.outcome == "met"
    assert report.value["files"][0]["path"] == str(path)
    assert report.attempts > 1


async def test_a_settling_file_wakes_the_wait_without_polling(tmp_path) -> None:
    path = tmp_path / "drop.csv"
    # just written: settles 1 s from now, after the first look even on a loaded machine, and long
    # before the next poll
    path.write_text("a,b\n")
    report = await first_report(trigger(FileCheck(str(path), stable_for=1.0, watch=False)))
    assert (report.outcome, report.attempts) == ("met", 2)


async def test_the_deadline_ends_the_wait_with_the_last_reason(tmp_path) -> None:
    waiting = trigger(FileCheck(f"{tmp_path}/*.csv", watch=False), cadence=Fixed(0.05).to_dict(), seconds=0.3)
    report = await first_report(waiting)
    assert report.outcome == "timeout"
    assert "no file matches" in report.reason
