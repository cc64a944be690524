"""One listing of a directory for all its waits: which names it stats, and which globs a name matches."""

from pathlib import Path

import pytest

from triggers.files.listing import Interest, list_directory
from triggers.files.pattern import matches

GLOBS = frozenset(
    {
        "drop-000001-*.csv",
        "drop-000003-*.csv",
        "*.done",
        "[ab]*.csv",
        "part-?.csv",
        "?x",
        ".*.tmp",
        "drop-0000*",
        "exact[*].csv",
    }
)
NAMES = [
    "drop-000001-1.csv",
    "drop-000001-.csv",
    "drop-000002-1.csv",
    "drop-000003-9.csv",
    "drop-0000",
    "drop-000",
    "a.csv",
    "b1.csv",
    "c.csv",
    "x.done",
    ".x.done",
    ".upload.tmp",
    "upload.tmp",
    "part-1.csv",
    "part-12.csv",
    "ax",
    "x",
    "exact*.csv",
    "exact.csv",
    "",
]


@pytest.mark.parametrize("name", NAMES)
def test_a_name_is_matched_against_exactly_the_globs_glob_would_match_it_with(name) -> None:
    interest = Interest(frozenset(), GLOBS)
    expected = {part for part in GLOBS if matches(part, name)}
    assert set(interest.globs_matching(name)) == expected
    assert interest.wants(name) == bool(expected)


def test_a_literal_name_is_wanted_and_a_glob_with_no_literal_prefix_sees_every_name() -> None:
    interest = Interest(frozenset({"orders.csv"}), frozenset({"*"}))
    assert interest.wants("orders.csv")
    assert interest.wants("ledger-001.dat")
    assert not interest.wants(".hidden")  # a wildcard does not match a leading dot
    assert not Interest(frozenset({"orders.csv"}), frozenset()).wants("ledger-001.dat")


def test_a_listing_stats_only_the_names_some_wait_may_match(tmp_path: Path) -> None:
    for name in ("drop-000001-1.csv", "drop-000002-1.csv", "orders.csv", "ledger-001.dat", ".x.done", "y.done"):
        (tmp_path / name).write_bytes(b"12345")
    interest = Interest(frozenset({"orders.csv", "missing.csv"}), frozenset({"drop-000001-*.csv", "*.done"}))
    listing = list_directory(str(tmp_path), interest)
    assert listing.root_exists
    assert listing.names == {
        "drop-000001-1.csv",
        "drop-000002-1.csv",
        "orders.csv",
        "ledger-001.dat",
        ".x.done",
        "y.done",
    }
    assert set(listing.entries) == {"drop-000001-1.csv", "orders.csv", "y.done"}
    assert all(entry.size == 5 for entry in listing.entries.values())
