import asyncio
import contextlib
import errno
import logging
import os
import shutil
from pathlib import Path

import pytest

from sandbox.partner_drop import PartnerDrop
from tests.triggers.files.test_trigger import SLOW_POLL, first_report, land_later, trigger
from triggers.cadence import Fixed
from triggers.files import FileCheck
from triggers.files import subscription as subscription_module
from triggers.files import watcher as watcher_module
from triggers.files.watcher import WATCHERS, kernel_usage
from triggers.outcomes import Met, NotYet

# Events the kernel queues per inotify instance before it drops them and reports an overflow.
QUEUE_LIMIT = int(Path("/proc/sys/fs/inotify/max_queued_events").read_text())


async def woken(event: asyncio.Event, within: float = 5) -> bool:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), within)
    return event.is_set()


async def test_an_arriving_file_cuts_the_wait_short(tmp_path) -> None:
    """The file lands after the first look (not after a fixed 0.2 s, which a loaded CI machine
    could spend opening the first watch); with a 60 s poll, only the inotify wake-up meets it in 10 s."""
    path = tmp_path / "drop.csv"
    looked = asyncio.Event()
    loop = trigger(FileCheck(str(path))).make_loop()
    loop.observers = (*loop.observers, lambda record, outcome: looked.set())

    async def land_after_the_first_look() -> None:
        await looked.wait()
        await asyncio.to_thread(path.write_text, "a,b\n")

    landing = asyncio.ensure_future(land_after_the_first_look())
    report = await asyncio.wait_for(loop.run(), 10)
    await landing
    assert (report.outcome, report.attempts) == ("met", 2)


async def test_a_marker_cuts_the_wait_short(tmp_path) -> None:
    drop = PartnerDrop(tmp_path / "orders.csv", delay=0.2, chunks=3, chunk_pause=0.1, marker_suffix=".done")
    delivering = asyncio.ensure_future(drop.adeliver())
    report = await first_report(trigger(FileCheck(str(drop.target), marker_suffix=".done")))
    await delivering
    assert report.outcome == "met"
    assert report.value["files"][0]["size"] == len(drop.content)


async def test_a_slow_upload_is_not_met_before_it_is_complete(tmp_path) -> None:
    drop = PartnerDrop(tmp_path / "orders.csv", delay=0.1, chunks=5, chunk_pause=0.15)
    delivering = asyncio.ensure_future(drop.adeliver())
    report = await first_report(trigger(FileCheck(str(drop.target), stable_for=0.4)))
    await delivering
    assert report.value["files"][0]["size"] == len(drop.content)


async def test_a_directory_that_appears_later_is_followed_down(tmp_path) -> None:
    path = tmp_path / "later" / "deeper" / "drop.csv"
    waiting = asyncio.ensure_future(first_report(trigger(FileCheck(f"{tmp_path}/later/deeper/*.csv"))))
    await asyncio.sleep(0.2)
    (tmp_path / "later").mkdir()
    await asyncio.sleep(0.2)
    (tmp_path / "later" / "deeper").mkdir()
    await asyncio.sleep(0.2)
    path.write_text("a,b\n")
    report = await waiting
    assert report.outcome == "met"


async def test_a_deleted_and_recreated_directory_is_watched_again(tmp_path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    check = FileCheck(f"{inbox}/*.csv")
    async with check.opened() as probe:
        assert isinstance(await probe.check(), NotYet)
        shutil.rmtree(inbox)
        assert await woken(probe.wakeup)
        probe.wakeup.clear()
        assert isinstance(await probe.check(), NotYet)
        inbox.mkdir()
        assert await woken(probe.wakeup)
        probe.wakeup.clear()
        assert isinstance(await probe.check(), NotYet)  # re-arms on the new directory
        (inbox / "a.csv").write_text("x")
        assert await woken(probe.wakeup)
        assert isinstance(await probe.check(), Met)


async def test_only_matching_names_wake_a_probe(tmp_path) -> None:
    async with FileCheck(f"{tmp_path}/a.csv").opened() as probe:
        await probe.check()
        (tmp_path / "b.csv").write_text("x")
        assert not await woken(probe.wakeup, within=0.3)
        (tmp_path / "a.csv").write_text("x")
        assert await woken(probe.wakeup)


async def test_many_probes_share_one_inotify_instance_and_one_watch_per_directory(tmp_path) -> None:
    before = kernel_usage()
    directories = [tmp_path / f"partner-{i}" for i in range(5)]
    for directory in directories:
        directory.mkdir()
    checks = [FileCheck(f"{directories[i % 5]}/file-{i}.csv") for i in range(200)]
    async with contextlib.AsyncExitStack() as stack:
        probes = [await stack.enter_async_context(check.opened()) for check in checks]
        instances, watches = kernel_usage()
        assert (instances - before[0], watches - before[1]) == (1, 5)
        (directories[3] / "file-8.csv").write_text("x")
        assert await woken(probes[8].wakeup)
        assert [i for i, p in enumerate(probes) if p.wakeup.is_set()] == [8]
    assert kernel_usage() == before


async def test_a_queue_overflow_wakes_every_probe(tmp_path) -> None:
    quiet, flooded = tmp_path / "quiet", tmp_path / "flooded"
    quiet.mkdir()
    flooded.mkdir()
    async with FileCheck(f"{quiet}/a.csv").opened() as bystander, FileCheck(f"{flooded}/x.csv").opened():
        await bystander.check()
        # Synchronous on purpose: the reader cannot drain while the kernel queue fills past its limit.
        for index in range(QUEUE_LIMIT // 2 + 100):  # a create and a close-after-write each
            os.close(os.open(flooded / f"noise-{index}", os.O_CREAT | os.O_WRONLY))
        assert await woken(bystander.wakeup)


@pytest.mark.parametrize("steps", [pytest.param(n, id=f"cancelled-after-{n}-steps") for n in range(6)])
async def test_a_probe_cancelled_while_arming_leaks_no_watch(tmp_path, steps) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()

    async def wait_on_b() -> None:
        async with FileCheck(f"{tmp_path}/b/y.csv").opened():
            await asyncio.sleep(60)

    async with FileCheck(f"{tmp_path}/a/x.csv").opened():  # keeps the inotify instance open
        before = kernel_usage()
        arming = asyncio.ensure_future(wait_on_b())
        for _ in range(steps):
            await asyncio.sleep(0)
        arming.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await arming
        await asyncio.sleep(0.2)  # a watch still being added in its thread lands, and is dropped
        assert kernel_usage() == before


async def test_a_watch_outlives_the_first_of_two_probes_on_its_directory(tmp_path) -> None:
    first, second = FileCheck(f"{tmp_path}/a.csv"), FileCheck(f"{tmp_path}/b.csv")
    async with second.opened() as staying:
        async with first.opened():
            pass
        (tmp_path / "b.csv").write_text("x")
        assert await woken(staying.wakeup)


async def test_without_inotify_the_trigger_polls_and_warns_once(tmp_path, monkeypatch, caplog) -> None:
    def unavailable():
        raise OSError(errno.EMFILE, "Too many open files")

    monkeypatch.setattr(watcher_module, "open_inotify", unavailable)
    monkeypatch.setattr(subscription_module, "_warned", set())
    caplog.set_level(logging.WARNING, logger=subscription_module.__name__)
    path = tmp_path / "drop.csv"
    landing = asyncio.ensure_future(land_later(path))
    reports = await asyncio.gather(
        *(first_report(trigger(FileCheck(str(path)), cadence=Fixed(0.05).to_dict())) for _ in range(3))
    )
    await landing
    assert {r.outcome for r in reports} == {"met"}
    assert WATCHERS.live() == 0
    assert [r.message for r in caplog.records] == ["inotify unavailable (Too many open files): file sensors poll only"]


async def test_watch_false_opens_no_inotify_instance(tmp_path) -> None:
    before = kernel_usage()
    async with FileCheck(f"{tmp_path}/a.csv", watch=False).opened() as probe:
        await probe.check()
        assert kernel_usage() == before


async def test_the_slow_poll_alone_would_not_have_finished(tmp_path) -> None:
    # The guard for the tests above: without a wake-up, the trigger is still waiting.
    path = tmp_path / "drop.csv"
    landing = asyncio.ensure_future(land_later(path))
    with pytest.raises(TimeoutError):
        await first_report(trigger(FileCheck(str(path), watch=False), cadence=SLOW_POLL), within=1.5)
    await landing
