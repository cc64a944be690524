"""One look at a directory that serves every wait on a file in it: its names, and the stats of those that matter.

A directory with a thousand waiting sensors is listed once per tick (:func:`list_directory`, in
a worker thread), not globbed a thousand times; each wait then takes its own files from the
:class:`Listing` (:func:`scan_for`, on the loop, no I/O). Only names some wait may match are
stat'ed (:class:`Interest`), so a drop directory full of other partners' files costs one
``scandir``.
"""

from __future__ import annotations

import glob
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field

from triggers.errors import SensorError
from triggers.files.pattern import (
    MAGIC,
    FilePattern,
    FileStat,
    Scan,
    matches,
    raise_for,
    regular_or_raise,
    stat_or_none,
)


@dataclass(frozen=True, slots=True)
class Entry:
    """What a listing found under one interesting name: a stat, or the error stat'ing it raised."""

    size: int = 0
    mtime: float = 0.0
    mode: int = 0
    error: SensorError | None = None


@dataclass(frozen=True)
class Listing:
    """A directory at one moment: whether it exists, every name in it, and the entries that matter."""

    root_exists: bool
    names: frozenset[str] = frozenset()
    entries: dict[str, Entry] = field(default_factory=dict)


class Interest:
    """The names some wait of a directory may match: literal names and glob parts.

    Matching every name against every glob on every tick would cost a thousand regex runs per
    name in a busy directory, and compiling the globs of a directory a thousand waits name takes
    longer than listing it for an hour. So the globs are indexed by their literal prefix (what
    precedes the first wildcard): a name is matched only against the globs whose prefix starts it,
    each compiled when first needed, and the answer is remembered while the name stays in the
    directory. Used by one listing at a time (a directory is never listed twice at once), so the
    cache needs no lock.
    """

    def __init__(self, literal: frozenset[str], parts: frozenset[str]) -> None:
        self.literal = literal
        by_prefix: dict[str, list[str]] = {}
        for part in parts:
            by_prefix.setdefault(_literal_prefix(part), []).append(part)
        # tuples: most prefixes name one glob, and a tuple of strings is no object for the GC to visit
        self._by_prefix = {prefix: tuple(named) for prefix, named in by_prefix.items()}
        self._lengths = sorted({len(prefix) for prefix in self._by_prefix})
        self._known: dict[str, bool] = {}

    def wants(self, name: str) -> bool:
        """Return True when a wait may match ``name``."""
        known = self._known.get(name)
        if known is None:
            known = name in self.literal or any(self.globs_matching(name))
            self._known[name] = known
        return known

    def globs_matching(self, name: str) -> Iterator[str]:
        """Yield the glob parts that match ``name`` (glob's rules: :func:`pattern.matches`)."""
        for length in self._lengths:
            if length > len(name):
                return
            for part in self._by_prefix.get(name[:length], ()):
                if matches(part, name):
                    yield part

    def forget_all_but(self, names: frozenset[str]) -> None:
        """Drop what is remembered about names no longer in the directory (memory stays bounded)."""
        if len(self._known) > len(names):
            self._known = {n: w for n, w in self._known.items() if n in names}


def _literal_prefix(part: str) -> str:
    """Return what precedes the first wildcard of a glob part: every name it matches starts so."""
    wildcard = MAGIC.search(part)
    return part if wildcard is None else part[: wildcard.start()]


def list_directory(root: str, interest: Interest) -> Listing:
    """Return what ``root`` holds now (blocking: run it in a worker thread).

    Raises PermanentError when ``root`` cannot be read, TransientError on other I/O errors; an
    interesting name whose stat fails keeps its error in its entry, for the waits on it alone.
    """
    try:
        with os.scandir(root) as found:
            names = frozenset(entry.name for entry in found)
    except (FileNotFoundError, NotADirectoryError):
        return Listing(root_exists=False)
    except OSError as error:
        raise_for(error, root)
    entries: dict[str, Entry] = {}
    for name in names:
        if not interest.wants(name):
            continue
        try:
            result = stat_or_none(os.path.join(root, name))
        except SensorError as error:  # this name's waits fail or wait on it; the others go on
            entries[name] = Entry(error=error)
            continue
        if result is not None:  # None: removed between listing and stat
            entries[name] = Entry(result.st_size, result.st_mtime, result.st_mode)
    interest.forget_all_but(names)
    return Listing(True, names, entries)


def scan_for(pattern: FilePattern, marker_suffix: str | None, listing: Listing) -> Scan:
    """Return what one wait's single-level ``pattern`` matches in ``listing``: what :func:`pattern.scan` would.

    Raises what that scan raises for this pattern's files: PermanentError for an exact path that is
    a directory or not a regular file, the entry's own error for a file that could not be stat'ed.
    """
    if not listing.root_exists:
        return Scan(files=(), root_exists=False)
    part = pattern.parts[-1]
    if not glob.has_magic(part):
        entry = listing.entries.get(part)
        if entry is None:
            return Scan(files=(), root_exists=True)
        path = os.path.join(pattern.root, part)
        if entry.error is not None:
            raise entry.error
        regular_or_raise(path, entry.mode)
        marker = marker_suffix is not None and part + marker_suffix in listing.names
        return Scan(files=(FileStat(path, entry.size, entry.mtime, marker),), root_exists=True)
    files = []
    for name, entry in sorted(listing.entries.items()):
        if not matches(part, name) or (marker_suffix is not None and name.endswith(marker_suffix)):
            continue  # not this wait's, or a marker (never a file to wait for)
        if entry.error is not None:
            raise entry.error
        if stat.S_ISREG(entry.mode):
            marker = marker_suffix is not None and name + marker_suffix in listing.names
            files.append(FileStat(os.path.join(pattern.root, name), entry.size, entry.mtime, marker))
    return Scan(files=tuple(files), root_exists=True)
