"""Waits on files in one directory share its listing: fan-out, own expectations, errors, cancellation, no leak."""

import asyncio
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import structlog
import structlog.contextvars
import structlog.testing

from tests.triggers.files.unprivileged import as_nobody, locked_dir
from triggers.cadence import Fixed
from triggers.files import FileCheck, FileWatchTrigger
from triggers.files.directory import DIRECTORIES
from triggers.files.watcher import WATCHERS
from triggers.progress import publisher_for
from triggers.report import Report


@pytest.fixture
def reachable_dir() -> Iterator[Path]:
    """A directory every user may reach (pytest's tmp_path is private to its owner)."""
    path = Path(tempfile.mkdtemp(prefix="shared-dir-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def trigger(check: FileCheck, *, poll: float = 0.05, seconds: float = 30, **kwargs) -> FileWatchTrigger:
    return FileWatchTrigger(
        check=check.to_dict(), cadence=Fixed(poll).to_dict(), deadline=time.time() + seconds, **kwargs
    )


async def report_of(waiting: FileWatchTrigger) -> Report:
    async for event in waiting.run():
        return Report.from_event(event.payload)
    raise AssertionError("the trigger ended without an event")


def start(*waiting: FileWatchTrigger) -> list[asyncio.Task[Report]]:
    return [asyncio.ensure_future(report_of(w)) for w in waiting]


async def test_a_hundred_waits_on_one_directory_share_each_listing(tmp_path) -> None:
    checks = [FileCheck(str(tmp_path / f"drop-{i}.csv"), watch=False) for i in range(50)]
    checks += [FileCheck(str(tmp_path / f"part-{i}-*.csv"), watch=False) for i in range(50)]
    waits = start(*(trigger(c, poll=0.1) for c in checks))
    async with DIRECTORIES.lease((str(tmp_path), False)) as directory:
        await asyncio.sleep(1.0)
        listed = directory.listings
        assert len(directory.waiters) == 100
        # one listing per 0.1 s tick for all of them, not a hundred
        assert 3 <= listed <= 15, listed
        for i in range(50):
            (tmp_path / f"drop-{i}.csv").write_text("x")
            (tmp_path / f"part-{i}-7.csv").write_text("x")
        reports = await asyncio.wait_for(asyncio.gather(*waits), 10)
    assert [r.outcome for r in reports] == ["met"] * 100
    assert reports[0].value["files"][0]["path"] == str(tmp_path / "drop-0.csv")
    assert reports[50].value["files"][0]["path"] == str(tmp_path / "part-0-7.csv")
    assert all(r.attempts >= 2 for r in reports)
    assert DIRECTORIES.live() == 0


async def test_each_wait_judges_the_one_listing_against_its_own_rules(tmp_path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("0123456789")
    small, large = start(
        trigger(FileCheck(str(path), min_size=5, watch=False)),
        trigger(FileCheck(str(path), min_size=100, watch=False)),
    )
    met = await asyncio.wait_for(small, 5)
    assert met.outcome == "met"
    assert met.value["files"][0]["size"] == 10
    await asyncio.sleep(0.3)
    assert not large.done()
    path.write_text("x" * 200)
    grown = await asyncio.wait_for(large, 5)
    assert grown.outcome == "met"
    assert grown.value["files"][0]["size"] == 200
    assert grown.attempts > met.attempts


async def test_a_marker_and_stable_for_hold_as_for_a_lone_wait(tmp_path) -> None:
    done_at = tmp_path / "a.csv"
    done_at.write_text("a")
    old = time.time() - 3600
    os.utime(done_at, (old, old))
    marked, settled = start(
        trigger(FileCheck(str(tmp_path / "*.csv"), marker_suffix=".done", watch=False)),
        trigger(FileCheck(str(done_at), stable_for=30, watch=False)),
    )
    # a file finished an hour ago is stable at the first look; the marker is still missing
    assert (await asyncio.wait_for(settled, 5)).attempts == 1
    await asyncio.sleep(0.3)
    assert not marked.done()
    (tmp_path / "a.csv.done").write_text("")
    report = await asyncio.wait_for(marked, 5)
    assert [f["path"] for f in report.value["files"]] == [str(done_at)]


async def test_a_file_written_during_the_wait_must_stay_unchanged_for_stable_for(tmp_path) -> None:
    path = tmp_path / "slow.csv"
    waiting = start(trigger(FileCheck(str(path), stable_for=0.6, watch=False)))[0]
    await asyncio.sleep(0.2)
    path.write_text("a")
    await asyncio.sleep(0.3)
    path.write_text("ab")  # a change seen by a later listing restarts the count from that listing
    changed_at = time.time()
    report = await asyncio.wait_for(waiting, 5)
    assert report.outcome == "met"
    assert report.finished_at - changed_at >= 0.5


async def test_one_wait_on_a_directory_fails_alone_while_the_others_wait(tmp_path) -> None:
    (tmp_path / "sub").mkdir()
    wrong, right = start(
        trigger(FileCheck(str(tmp_path / "sub"), watch=False)),
        trigger(FileCheck(str(tmp_path / "later.csv"), watch=False)),
    )
    failed = await asyncio.wait_for(wrong, 5)
    assert failed.outcome == "failed"
    assert "is a directory" in failed.reason
    assert not right.done()
    (tmp_path / "later.csv").write_text("x")
    assert (await asyncio.wait_for(right, 5)).outcome == "met"


def test_a_directory_nobody_may_list_fails_every_wait_on_it(tmp_path) -> None:
    locked = locked_dir(tmp_path / "locked")

    def wait_as_nobody() -> dict[str, object]:
        async def both() -> list[Report]:
            waits = start(*(trigger(FileCheck(str(locked / name), watch=False)) for name in ("a.csv", "b*.csv")))
            return await asyncio.wait_for(asyncio.gather(*waits), 10)

        return {"reports": [(r.outcome, r.reason) for r in asyncio.run(both())]}

    reports = as_nobody(wait_as_nobody)["reports"]
    assert [outcome for outcome, _ in reports] == ["failed", "failed"]
    assert all("Permission denied" in reason for _, reason in reports)


async def test_a_wait_that_joins_later_is_judged_on_a_listing_made_after_it_joined(tmp_path) -> None:
    first = start(trigger(FileCheck(str(tmp_path / "a.csv"), watch=False), poll=60))[0]
    async with DIRECTORIES.lease((str(tmp_path), False)) as directory:
        await asyncio.sleep(0.3)
        assert directory.listings == 1
        (tmp_path / "b.csv").write_text("x")
        late = start(trigger(FileCheck(str(tmp_path / "b.csv"), watch=False), poll=60))[0]
        report = await asyncio.wait_for(late, 5)
        assert (report.outcome, report.attempts, directory.listings) == ("met", 1, 2)
        first.cancel()


async def test_the_deadline_ends_a_shared_wait_with_its_last_reason(tmp_path) -> None:
    report = await report_of(trigger(FileCheck(f"{tmp_path}/*.csv", watch=False), seconds=0.4))
    assert report.outcome == "timeout"
    assert "no file matches" in report.reason
    assert report.attempts >= 2
    assert len(report.history) == min(report.attempts, 20)


async def test_inotify_wakes_every_shared_wait_long_before_the_poll(tmp_path) -> None:
    waits = start(*(trigger(FileCheck(str(tmp_path / f"{i}.csv")), poll=60) for i in range(20)))
    await asyncio.sleep(0.5)
    began = time.monotonic()
    for i in range(20):
        (tmp_path / f"{i}.csv").write_text("x")
    reports = await asyncio.wait_for(asyncio.gather(*waits), 5)
    assert {r.outcome for r in reports} == {"met"}
    assert time.monotonic() - began < 3


async def test_cancelled_waits_leave_no_directory_no_watch_and_no_task(tmp_path) -> None:
    tasks_before = len(asyncio.all_tasks())
    waits = start(*(trigger(FileCheck(str(tmp_path / f"{i}.csv")), poll=0.05) for i in range(30)))
    for turn in range(10):  # cancel some at every stage: joining, listing, waiting
        waits[turn].cancel()
        await asyncio.sleep(0.01 * turn)
    await asyncio.sleep(0.2)
    for waiting in waits[10:]:
        waiting.cancel()
    await asyncio.gather(*waits, return_exceptions=True)
    await asyncio.sleep(0.05)
    assert DIRECTORIES.live() == 0
    assert WATCHERS.live() == 0
    assert len(asyncio.all_tasks()) == tasks_before


async def test_share_probe_false_and_a_breaker_run_their_own_loop(tmp_path) -> None:
    alone = trigger(FileCheck(str(tmp_path / "a.csv"), share_probe=False))
    guarded = trigger(FileCheck(str(tmp_path / "a.csv")), failure_threshold=3)
    deeper = trigger(FileCheck(str(tmp_path / "*" / "a.csv")))
    shared = trigger(FileCheck(str(tmp_path / "a.csv")))
    assert [t.shares_directory() for t in (alone, guarded, deeper, shared)] == [False, False, False, True]


def test_a_bad_share_probe_is_refused_naming_the_argument(tmp_path) -> None:
    with pytest.raises(ValueError, match="share_probe"):
        FileCheck(str(tmp_path / "a.csv"), share_probe="yes")  # type: ignore[arg-type]


def test_a_shared_and_a_lone_wait_report_the_same_files(tmp_path: Path) -> None:
    for name in ("b.csv", "a.csv", ".hidden.csv", "c.txt"):
        (tmp_path / name).write_text(name)

    async def both() -> list[Report]:
        waits = start(
            trigger(FileCheck(f"{tmp_path}/*.csv", min_size=5)),
            trigger(FileCheck(f"{tmp_path}/*.csv", min_size=5, share_probe=False)),
        )
        return await asyncio.wait_for(asyncio.gather(*waits), 5)

    shared, alone = asyncio.run(both())
    assert shared.value == alone.value
    assert [f["path"] for f in shared.value["files"]] == [f"{tmp_path}/a.csv", f"{tmp_path}/b.csv"]


async def test_what_is_said_of_a_shared_wait_is_said_in_its_own_trigger_context(tmp_path) -> None:
    """Airflow's triggerer routes a log line to the task log of the trigger_id in its context."""

    async def wait_as(trigger_id: int, name: str) -> Report:
        structlog.contextvars.bind_contextvars(trigger_id=trigger_id)
        return await report_of(trigger(FileCheck(str(tmp_path / name), watch=False)))

    with structlog.testing.capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        waits = [asyncio.ensure_future(wait_as(i, f"{i}.csv")) for i in (1, 2, 3)]
        await asyncio.sleep(0.3)
        for i in (1, 2, 3):
            (tmp_path / f"{i}.csv").write_text("x")
        await asyncio.wait_for(asyncio.gather(*waits), 5)
    said = [(line.get("trigger_id"), line["event"]) for line in logs if str(tmp_path) in str(line["event"])]
    for i in (1, 2, 3):
        mine = [trigger_id for trigger_id, event in said if f"{i}.csv" in event]
        assert mine, said
        assert set(mine) == {i}, said


async def test_waits_on_a_directory_that_appears_later_are_woken_when_their_files_land(tmp_path) -> None:
    root = tmp_path / "partner" / "in"
    waits = start(*(trigger(FileCheck(str(root / name)), poll=60) for name in ("a.csv", "b.csv")))
    await asyncio.sleep(0.3)
    assert not any(w.done() for w in waits)
    root.mkdir(parents=True)
    await asyncio.sleep(0.3)  # the watch moves down from tmp_path to the new directory
    (root / "a.csv").write_text("x")
    (root / "b.csv").write_text("x")
    reports = await asyncio.wait_for(asyncio.gather(*waits), 5)
    assert [r.outcome for r in reports] == ["met", "met"]
    assert all(r.attempts <= 4 for r in reports)  # events, not the 60 s poll


def test_a_name_that_cannot_be_statted_fails_only_the_waits_on_it(reachable_dir: Path) -> None:
    listable = reachable_dir / "listable"
    listable.mkdir()
    (listable / "a.csv").write_text("x")
    listable.chmod(0o744)  # others may list the names but not stat them

    def wait_as_nobody() -> dict[str, object]:
        async def both() -> list[Report]:
            waits = start(
                trigger(FileCheck(str(listable / "a.csv"), watch=False), seconds=1),
                trigger(FileCheck(str(listable / "b.csv"), watch=False), seconds=1),
            )
            return await asyncio.wait_for(asyncio.gather(*waits), 10)

        return {"reports": [(r.outcome, r.reason) for r in asyncio.run(both())]}

    if os.geteuid() != 0:
        listable.chmod(0o600)  # the owner itself may list but not stat
        (on_a, why_a), (on_b, _) = wait_as_nobody()["reports"]
    else:
        (on_a, why_a), (on_b, _) = as_nobody(wait_as_nobody)["reports"]
    assert (on_a, on_b) == ("failed", "timeout")
    assert "Permission denied" in why_a


async def test_a_shared_wait_publishes_its_progress_until_it_ends(tmp_path, monkeypatch) -> None:
    """The dashboard's "now": written while the wait goes on, deleted when it is met."""
    from tests.triggers.test_progress import RecordingSink
    from triggers.files import trigger as file_trigger

    sink = RecordingSink()
    monkeypatch.setattr(file_trigger, "publisher_for", lambda t, b: publisher_for(t, b, sink))
    waiting = trigger(FileCheck(str(tmp_path / "a.csv"), watch=False), poll=0.05)
    waiting.task_instance = SimpleNamespace(id="ti-1", dag_id="d", run_id="r", task_id="t", map_index=-1, try_number=1)
    task = start(waiting)[0]
    await asyncio.sleep(0.5)
    assert [call[0] for call in sink.calls] == ["put"]
    written = json.loads(sink.values["deferrable_sensors.now.ti-1"])
    assert written["outcome"] == "not_yet"
    assert written["next_at"] is not None
    (tmp_path / "a.csv").write_text("x")
    assert (await asyncio.wait_for(task, 5)).outcome == "met"
    await asyncio.sleep(0.1)
    assert [call[0] for call in sink.calls] == ["put", "delete"]


async def test_an_observer_is_told_every_listing_and_the_wait_keeps_no_detail_between(tmp_path, monkeypatch) -> None:
    told: list[tuple[float | None, object]] = []
    monkeypatch.setattr(
        "triggers.files.trigger.publisher_for", lambda trigger, breaker: lambda a, o: told.append((a.interval, o))
    )
    waiting = start(trigger(FileCheck(str(tmp_path / "a.csv"), watch=False), poll=0.05))
    async with DIRECTORIES.lease((str(tmp_path), False)) as directory:
        await asyncio.sleep(0.4)
        (waiter,) = directory.waiters
        assert waiter.last is not None
        assert waiter.last.detail == {}
        assert len(told) >= 3
        first, *again = (outcome for _, outcome in told)
        assert first.detail == {"pending": [], "unreadable": []}  # the judgement itself, whole
        assert all(o.kind == "not_yet" and o.reason == first.reason and o.detail == {} for o in again)
        (tmp_path / "a.csv").write_text("x")
        report = await asyncio.wait_for(waiting[0], 5)
    assert report.outcome == "met"
    assert told[-1][0] is None
    assert told[-1][1].kind == "met"
