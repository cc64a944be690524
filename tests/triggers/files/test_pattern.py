import os

import pytest

from triggers.errors import ConfigurationError, PermanentError, TransientError
from triggers.files.pattern import FilePattern, matches, raise_for, scan


@pytest.mark.parametrize(
    ("text", "root", "parts"),
    [
        pytest.param("/data/in/orders.csv", "/data/in", ("orders.csv",), id="exact"),
        pytest.param("/data/in/*.csv", "/data/in", ("*.csv",), id="glob-in-name"),
        pytest.param("/data/*/in/x.csv", "/data", ("*", "in", "x.csv"), id="glob-in-directory"),
        pytest.param("/orders.csv", "/", ("orders.csv",), id="top-level"),
        pytest.param("/data//in/./x.csv", "/data/in", ("x.csv",), id="normalised"),
    ],
)
def test_a_pattern_splits_into_its_wildcard_free_root_and_the_parts_below(text, root, parts) -> None:
    pattern = FilePattern.parse(text)
    assert (pattern.root, pattern.parts) == (root, parts)


def test_patterns_in_one_directory_share_one_root_string() -> None:
    exact = FilePattern.parse("/data/partner-7/drop.csv")
    globbed = FilePattern.parse("/data/partner-7/drop-*.csv")
    assert exact.root == "/data/partner-7"
    assert exact.root is globbed.root  # interned: thousands of waits on one directory hold it once


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param(None, id="none"),
        pytest.param("data/in/x.csv", id="relative"),
        pytest.param("/data/in/", id="trailing-slash"),
        pytest.param("/", id="root"),
        pytest.param("/data/**/x.csv", id="recursive"),
        pytest.param("/data/x\0.csv", id="nul"),
    ],
)
def test_an_invalid_path_is_refused_naming_filepath(text) -> None:
    with pytest.raises(ConfigurationError) as error:
        FilePattern.parse(text)
    assert error.value.argument == "filepath"


@pytest.mark.parametrize(
    ("part", "name", "expected"),
    [
        pytest.param("*.csv", "a.csv", True, id="star"),
        pytest.param("*.csv", "a.CSV", False, id="case-sensitive"),
        pytest.param("*.csv", ".a.csv", False, id="star-skips-hidden"),
        pytest.param(".*.csv", ".a.csv", True, id="dot-pattern-matches-hidden"),
        pytest.param("part-?.csv", "part-1.csv", True, id="question-mark"),
        pytest.param("[ab].csv", "c.csv", False, id="set"),
    ],
)
def test_matching_follows_glob(part, name, expected) -> None:
    assert matches(part, name) is expected


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        pytest.param(PermissionError(13, "Permission denied"), PermanentError, id="eacces"),
        pytest.param(OSError(40, "Too many levels of symbolic links"), PermanentError, id="eloop"),
        pytest.param(OSError(5, "Input/output error"), TransientError, id="eio"),
        pytest.param(OSError(116, "Stale file handle"), TransientError, id="estale"),
    ],
)
def test_os_errors_are_classified_by_type_and_errno(error, expected) -> None:
    with pytest.raises(expected):
        raise_for(error, "/data/in")


def test_a_glob_walks_wildcard_directories(tmp_path) -> None:
    for partner in ("acme", "globex", ".hidden"):
        (tmp_path / partner / "in").mkdir(parents=True)
        (tmp_path / partner / "in" / "drop.csv").write_text(partner)
    (tmp_path / "file-not-dir").write_text("")
    found = scan(FilePattern.parse(f"{tmp_path}/*/in/drop.csv"))
    assert [f.path for f in found.files] == [f"{tmp_path}/acme/in/drop.csv", f"{tmp_path}/globex/in/drop.csv"]


def test_a_missing_root_is_reported_not_raised(tmp_path) -> None:
    found = scan(FilePattern.parse(f"{tmp_path}/later/*.csv"))
    assert (found.files, found.root_exists) == ((), False)


def test_a_file_removed_between_listing_and_stat_is_skipped(tmp_path) -> None:
    # a dangling symlink lists like a file that vanished before its stat
    os.symlink(tmp_path / "gone.csv", tmp_path / "a.csv")
    assert scan(FilePattern.parse(f"{tmp_path}/*.csv")).files == ()
