import json
import os
import time
from pathlib import Path

import pytest

from tests.triggers.files.unprivileged import locked_dir, outcome_without_permission
from triggers.checks import Check, check_once
from triggers.errors import ConfigurationError
from triggers.files.check import MAX_LISTED, FileCheck, Steadiness
from triggers.files.pattern import FileStat, Scan
from triggers.outcomes import Failed, Met, NotYet


def write(path: Path, data: str = "a,b\n1,2\n", *, age: float = 3600.0) -> Path:
    """Write ``path`` and date its mtime ``age`` seconds back (0: just written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


async def outcome(check: FileCheck):
    return await check_once(check, timeout=5)


async def test_an_existing_file_is_met_with_its_path_size_and_mtime(tmp_path) -> None:
    path = write(tmp_path / "orders.csv", "x" * 10)
    result = await outcome(FileCheck(str(path)))
    assert isinstance(result, Met)
    assert result.value == {
        "pattern": str(path),
        "count": 1,
        "files": [{"path": str(path), "size": 10, "mtime": path.stat().st_mtime}],
    }
    json.dumps(result.value)


async def test_a_glob_is_met_with_every_matching_file_sorted(tmp_path) -> None:
    for name in ("b.csv", "a.csv", "notes.txt", ".partial.csv"):
        write(tmp_path / name)
    (tmp_path / "dir.csv").mkdir()
    result = await outcome(FileCheck(f"{tmp_path}/*.csv"))
    assert isinstance(result, Met)
    assert [f["path"] for f in result.value["files"]] == [f"{tmp_path}/a.csv", f"{tmp_path}/b.csv"]


async def test_the_met_value_lists_a_bounded_number_of_files_but_counts_all(tmp_path) -> None:
    for index in range(MAX_LISTED + 5):
        write(tmp_path / f"part-{index:04d}.csv")
    result = await outcome(FileCheck(f"{tmp_path}/part-*.csv"))
    assert (result.value["count"], len(result.value["files"])) == (MAX_LISTED + 5, MAX_LISTED)


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        pytest.param(lambda d: None, "no file matches", id="nothing-yet"),
        pytest.param(lambda d: write(d / "notes.txt"), "no file matches", id="only-other-files"),
        pytest.param(lambda d: (d / "x.csv").mkdir(), "no file matches", id="glob-matches-only-a-directory"),
    ],
)
async def test_nothing_matching_is_not_yet(tmp_path, setup, reason) -> None:
    setup(tmp_path)
    result = await outcome(FileCheck(f"{tmp_path}/*.csv"))
    assert isinstance(result, NotYet)
    assert reason in result.reason
    assert result.error is None


async def test_a_missing_directory_is_not_yet_and_named(tmp_path) -> None:
    result = await outcome(FileCheck(f"{tmp_path}/later/deeper/*.csv"))
    assert isinstance(result, NotYet)
    assert result.reason == f"directory {tmp_path}/later/deeper does not exist yet"


async def test_a_directory_that_appears_later_is_then_searched(tmp_path) -> None:
    check = FileCheck(f"{tmp_path}/later/*.csv")
    assert isinstance(await outcome(check), NotYet)
    write(tmp_path / "later" / "drop.csv")
    assert isinstance(await outcome(check), Met)


@pytest.mark.parametrize(
    ("age", "met"),
    [
        pytest.param(7200.0, False, id="older-than-max-age"),
        pytest.param(60.0, True, id="within-max-age"),
        pytest.param(-30.0, True, id="future-mtime-counts-as-fresh"),
    ],
)
async def test_max_age_counts_only_recently_modified_files(tmp_path, age, met) -> None:
    write(tmp_path / "behavior" / "user_behavior.log", age=age)
    result = await outcome(FileCheck(f"{tmp_path}/behavior/*.log", max_age=3600))
    assert isinstance(result, Met) is met


async def test_files_older_than_max_age_say_so_in_the_reason(tmp_path) -> None:
    write(tmp_path / "old.log", age=7200)
    result = await outcome(FileCheck(f"{tmp_path}/*.log", max_age=3600))
    assert result.reason == f"no file modified within 3600s matches {tmp_path}/*.log yet"


@pytest.mark.parametrize(
    ("data", "met"),
    [pytest.param("", False, id="empty"), pytest.param("x" * 99, False, id="one-short"), pytest.param("x" * 100, True)],
)
async def test_min_size_counts_only_large_enough_files(tmp_path, data, met) -> None:
    write(tmp_path / "a.csv", data)
    assert isinstance(await outcome(FileCheck(f"{tmp_path}/a.csv", min_size=100)), Met) is met


@pytest.mark.parametrize(
    ("age", "met"),
    [
        pytest.param(0.0, False, id="just-written"),
        pytest.param(4.0, False, id="not-quiet-long-enough"),
        pytest.param(6.0, True, id="quiet-long-enough"),
    ],
)
async def test_stable_for_needs_the_mtime_that_far_back(tmp_path, age, met) -> None:
    write(tmp_path / "a.csv", age=age)
    result = await outcome(FileCheck(f"{tmp_path}/a.csv", stable_for=5))
    assert isinstance(result, Met) is met


async def test_a_file_still_being_written_is_not_yet_until_it_settles(tmp_path) -> None:
    path = tmp_path / "drop.csv"
    check = FileCheck(str(path), stable_for=5)
    with path.open("w") as writer:  # a torn file: half of it is on disk
        writer.write("id,total\n1,")
        writer.flush()
        half = await outcome(check)
        writer.write("299.99\n")
    assert isinstance(half, NotYet)
    assert half.reason == f"{path} is still being written (stable_for 5s)"
    settled = time.time() - 6
    os.utime(path, (settled, settled))  # what five quiet seconds do to the mtime
    assert isinstance(await outcome(check), Met)


def test_stable_for_within_a_wait_restarts_when_size_or_mtime_changes() -> None:
    check = FileCheck("/in/a.csv", stable_for=5)
    steadiness = Steadiness()
    now = 1_000_000.0
    old = FileStat("/in/a.csv", size=10, mtime=now - 3600)  # a skewed writer clock: old mtime

    def judge(f: FileStat, at: float):
        return check.judge(Scan(files=(f,), root_exists=True), at, steadiness)

    assert isinstance(judge(old, now).outcome, Met)  # first look: the mtime is all we know
    grown = FileStat("/in/a.csv", size=20, mtime=now - 3600)
    changed = judge(grown, now + 1)
    assert isinstance(changed.outcome, NotYet)
    assert changed.recheck_in == 5
    assert isinstance(judge(grown, now + 4).outcome, NotYet)
    assert isinstance(judge(grown, now + 6).outcome, Met)


def test_a_pending_file_says_when_it_will_be_stable() -> None:
    check = FileCheck("/in/*.csv", stable_for=5)
    now = 1_000_000.0
    files = (FileStat("/in/a.csv", 1, now - 1), FileStat("/in/b.csv", 1, now - 3))
    verdict = check.judge(Scan(files=files, root_exists=True), now)
    assert verdict.recheck_in == 2
    assert verdict.outcome.reason == "/in/a.csv is still being written (stable_for 5s) (and 1 more)"


@pytest.mark.parametrize(
    ("files", "met"),
    [
        pytest.param(["a.csv"], False, id="no-marker"),
        pytest.param(["a.csv", "a.csv.done"], True, id="marker"),
        pytest.param(["a.csv.done"], False, id="marker-alone"),
        pytest.param(["a.csv", "b.csv.done"], False, id="another-files-marker"),
    ],
)
async def test_marker_suffix_needs_the_marker_next_to_the_file(tmp_path, files, met) -> None:
    for name in files:
        write(tmp_path / name)
    for pattern in (f"{tmp_path}/*.csv", f"{tmp_path}/*", f"{tmp_path}/a.csv"):
        result = await outcome(FileCheck(pattern, marker_suffix=".done"))
        assert isinstance(result, Met) is met, pattern


async def test_a_marker_never_matches_as_a_file_itself(tmp_path) -> None:
    write(tmp_path / "a.csv")
    write(tmp_path / "a.csv.done")
    result = await outcome(FileCheck(f"{tmp_path}/*", marker_suffix=".done"))
    assert [f["path"] for f in result.value["files"]] == [f"{tmp_path}/a.csv"]


async def test_every_rule_must_hold_for_the_same_file(tmp_path) -> None:
    write(tmp_path / "big.csv", "x" * 100, age=0)  # large, marked, but still being written
    write(tmp_path / "big.csv.done")
    write(tmp_path / "small.csv", "x", age=60)  # quiet and marked, but too small
    write(tmp_path / "small.csv.done")
    check = FileCheck(f"{tmp_path}/*.csv", min_size=50, stable_for=5, marker_suffix=".done")
    assert isinstance(await outcome(check), NotYet)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        pytest.param(lambda p: p.mkdir(), "is a directory", id="directory"),
        pytest.param(lambda p: os.mkfifo(p), "not a regular file", id="fifo"),
        pytest.param(lambda p: os.symlink(p, p), "symbolic links", id="symlink-loop"),
    ],
)
async def test_an_exact_path_that_can_never_be_a_file_fails_at_once(tmp_path, make, reason) -> None:
    make(tmp_path / "drop")
    result = await outcome(FileCheck(f"{tmp_path}/drop"))
    assert isinstance(result, Failed)
    assert reason in result.reason


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda p: os.symlink(p.parent / "nowhere", p), id="dangling-symlink"),
        pytest.param(lambda p: write(p.parent / "parent-is-a-file"), id="parent-is-a-file"),
    ],
)
async def test_a_path_that_may_still_appear_is_not_yet(tmp_path, make) -> None:
    make(tmp_path / "drop")
    path = tmp_path / "drop" if (tmp_path / "drop").is_symlink() else tmp_path / "parent-is-a-file" / "drop"
    assert isinstance(await outcome(FileCheck(str(path))), NotYet)


@pytest.mark.parametrize("pattern", [pytest.param("*.csv", id="glob"), pytest.param("inside.csv", id="exact")])
def test_a_directory_this_process_may_not_read_fails_at_once(tmp_path, pattern) -> None:
    locked = locked_dir(tmp_path / "locked")
    answer = outcome_without_permission(FileCheck(f"{locked}/{pattern}"))
    assert answer["kind"] == "failed", answer
    assert "Permission denied" in answer["reason"]


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        pytest.param({"path": "relative/a.csv"}, "filepath", id="relative-path"),
        pytest.param({"max_age": 0}, "max_age", id="zero-max-age"),
        pytest.param({"max_age": "1h"}, "max_age", id="text-max-age"),
        pytest.param({"min_size": -1}, "min_size", id="negative-min-size"),
        pytest.param({"min_size": 1.5}, "min_size", id="fractional-min-size"),
        pytest.param({"stable_for": -1}, "stable_for", id="negative-stable-for"),
        pytest.param({"marker_suffix": ""}, "marker_suffix", id="empty-marker"),
        pytest.param({"marker_suffix": "/done"}, "marker_suffix", id="marker-with-slash"),
        pytest.param({"watch": "yes"}, "watch", id="watch-not-bool"),
    ],
)
def test_invalid_arguments_are_refused_naming_the_argument(kwargs, argument) -> None:
    with pytest.raises(ConfigurationError) as error:
        FileCheck(**{"path": "/in/a.csv", **kwargs})
    assert error.value.argument == argument


def test_the_check_round_trips_through_json() -> None:
    check = FileCheck("/in/*.csv", max_age=3600, min_size=1, stable_for=2.5, marker_suffix=".done", watch=False)
    data = json.loads(json.dumps(check.to_dict()))
    assert data["kind"] == "file"
    assert Check.from_dict(data) == check
