"""FileCheck: wait for a file (or any file matching a glob) that is fresh, large enough and complete.

When a file counts (every rule that is set must hold for the same file):

- ``max_age``: modified within the last ``max_age`` seconds (a file with a future mtime, from a
  skewed clock, counts as fresh). Older files are ignored: they will never become fresh.
- ``min_size``: at least ``min_size`` bytes.
- ``marker_suffix``: the writer has created ``<file><marker_suffix>`` next to it (``a.csv`` is
  complete once ``a.csv.done`` exists). The most reliable rule; marker files never match
  themselves.
- ``stable_for``: size and mtime unchanged for ``stable_for`` seconds. The file's own mtime is
  the evidence for the time before this wait first looked (so a file finished hours ago counts
  at the first look, in poke mode too); within a wait, a change of size or mtime between two
  looks restarts the count from that look (which catches writers whose mtime lags, such as a
  skewed network filesystem clock or ``cp -p``). A writer that pauses longer than
  ``stable_for`` mid-file defeats this rule: use a marker then.

The met value is ``{"pattern": path, "count": n, "files": [{"path", "size", "mtime"}, ...]}``
with at most :data:`MAX_LISTED` files, sorted by path.

Errors: a missing file or directory is "not yet"; permission denied, an exact path that is a
directory or not a regular file, a symlink loop fail at once (waiting cannot fix them); other
I/O errors (EIO, a stale NFS handle) are transient.
"""

from __future__ import annotations

import asyncio
import glob
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

from triggers.checks import Check, Probe
from triggers.errors import ConfigurationError
from triggers.files.batch import batched_scan
from triggers.files.pattern import FilePattern, FileStat, Scan
from triggers.files.subscription import subscribe
from triggers.outcomes import Met, NotYet, Outcome
from triggers.validation import require_bool, require_positive, require_whole

#: The met value and the "not yet" detail list at most this many files (``count`` has them all).
MAX_LISTED = 100
#: A wait scans at most once per this many seconds, however many inotify events arrive (as
#: watchfiles debounces): the first event after a quiet spell is scanned at once, the rest of a
#: burst waits for the window to end and is covered by one scan.
DEBOUNCE_SECONDS = 0.1


@dataclass(frozen=True)
class Sorting:
    """One look sorted by the completion rules: ready files, pending ones with why, when to look again."""

    ready: tuple[FileStat, ...]
    pending: tuple[tuple[FileStat, str], ...]
    recheck_in: float | None = None
    found: Scan | None = None


@dataclass(frozen=True)
class Verdict:
    """A judged look: the outcome, and in how many seconds a pending file will be stable."""

    outcome: Outcome
    recheck_in: float | None = None


class Steadiness:
    """Remembers, across the looks of one wait, since when each file's size and mtime hold."""

    def __init__(self) -> None:
        #: path -> (size, mtime, since when both hold; -inf: since the file was first seen)
        self.held: dict[str, tuple[int, float, float]] = {}

    def since(self, files: Iterable[FileStat], now: float) -> dict[str, float]:
        """Return, per path, the time of the look that first saw its current size and mtime.

        ``-inf`` means "unchanged since this wait began": the file's mtime is the only evidence.
        Only the files of this look are remembered, so memory stays bounded by the match count.
        """
        seen: dict[str, tuple[int, float, float]] = {}
        for f in files:
            previous = self.held.get(f.path)
            if previous is None:
                since = -math.inf
            elif (previous[0], previous[1]) != (f.size, f.mtime):
                since = now
            else:
                since = previous[2]
            seen[f.path] = (f.size, f.mtime, since)
        self.held = seen
        return {path: entry[2] for path, entry in seen.items()}


@dataclass(frozen=True, slots=True)  # one per waiting file sensor: no __dict__
class FileCheck(Check):
    """Met when a regular file matching ``path`` passes every completion rule that is set.

    :param path: an absolute path, or a glob whose wildcards stay within path components.
    :param max_age: only files modified within the last ``max_age`` seconds count.
    :param min_size: only files of at least this many bytes count.
    :param stable_for: seconds a file's size and mtime must stay unchanged (0: no such rule).
    :param marker_suffix: a file counts once ``<file><marker_suffix>`` exists (e.g. ``".done"``).
    :param watch: wake on inotify events when the filesystem sends them; False polls only.
    :param share_probe: in a trigger, waits on files in one directory share one listing of it per
        tick (:mod:`triggers.files.directory`); False lists for this wait alone.
    """

    kind: ClassVar[str] = "file"
    path: str
    max_age: float | None = None
    min_size: int = 0
    stable_for: float = 0.0
    marker_suffix: str | None = None
    watch: bool = True
    share_probe: bool = True
    #: ``path`` parsed (once: every listing of a shared directory reads it)
    pattern: FilePattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", FilePattern.parse(self.path))
        if self.max_age is not None:
            require_positive("max_age", self.max_age)
        require_whole("min_size", self.min_size, 0, unit="bytes")
        require_positive("stable_for", self.stable_for, allow_zero=True)
        if self.marker_suffix is not None and (
            not isinstance(self.marker_suffix, str) or not self.marker_suffix or "/" in self.marker_suffix
        ):
            raise ConfigurationError(
                "marker_suffix", f"must be a non-empty file name suffix, got {self.marker_suffix!r}"
            )
        require_bool("watch", self.watch)
        require_bool("share_probe", self.share_probe)

    def describe(self) -> str:
        return f"file {self.path}"

    async def look(self) -> Scan:
        """Return what matches now, scanned in a worker thread; raises what ``pattern.scan`` raises."""
        return await batched_scan(self.pattern, self.marker_suffix)

    async def check(self) -> Outcome:
        return self.judge(await self.look(), time.time()).outcome

    def sort(self, found: Scan, now: float, steadiness: Steadiness | None = None) -> Sorting:
        """Apply the completion rules to one look at time ``now`` (epoch seconds); too-old files are dropped."""
        since = steadiness.since(found.files, now) if steadiness is not None else {}
        ready: list[FileStat] = []
        pending: list[tuple[FileStat, str]] = []
        stable_at: list[float] = []
        for f in found.files:
            if self.max_age is not None and now - f.mtime > self.max_age:
                continue
            if f.size < self.min_size:
                pending.append((f, f"is {f.size} bytes, below min_size {self.min_size}"))
            elif self.marker_suffix is not None and not f.marker:
                pending.append((f, f"waits for its marker {f.path}{self.marker_suffix}"))
            elif self.stable_for and now < (due := max(f.mtime, since.get(f.path, -math.inf)) + self.stable_for):
                pending.append((f, f"is still being written (stable_for {self.stable_for:g}s)"))
                stable_at.append(due)
            else:
                ready.append(f)
        recheck_in = max(0.0, min(stable_at) - now) if stable_at else None
        return Sorting(tuple(ready), tuple(pending), recheck_in, found)

    def judge(self, found: Scan, now: float, steadiness: Steadiness | None = None) -> Verdict:
        """Return the outcome of one look at time ``now`` (epoch seconds): met when any file is ready."""
        sorting = self.sort(found, now, steadiness)
        if sorting.ready:
            ready = sorting.ready
            value = {"pattern": self.path, "count": len(ready), "files": [f.to_dict() for f in ready[:MAX_LISTED]]}
            return Verdict(Met(value))
        pending = list(sorting.pending)
        detail = {
            "pending": [{**f.to_dict(), "waiting": why} for f, why in pending[:MAX_LISTED]],
            "unreadable": list(found.unreadable[:MAX_LISTED]),
        }
        return Verdict(NotYet(self._reason(found, pending), detail=detail), sorting.recheck_in)

    def _reason(self, found: Scan, pending: list[tuple[FileStat, str]]) -> str:
        # No clock readings here: the prober logs when the reason changes, not on every look.
        if not found.root_exists:
            return f"directory {self.pattern.root} does not exist yet"
        if not pending:
            too_old = f" modified within {self.max_age:g}s" if self.max_age is not None and found.files else ""
            return f"no file{too_old} matches {self.path} yet"
        first, why = pending[0]
        more = f" (and {len(pending) - 1} more)" if len(pending) > 1 else ""
        return f"{first.path} {why}{more}"

    def watched_names(self) -> tuple[str, ...]:
        """Return the name patterns, in the root directory, whose events may change this check's answer.

        With wildcards in a directory level (``/data/*/in/x.csv``) only a new directory under the
        root wakes the probe; files deeper down are found by polling.
        """
        first = self.pattern.parts[0]
        if self.marker_suffix is None or len(self.pattern.parts) > 1:
            return (first,)
        return (first, first + glob.escape(self.marker_suffix))

    def opened(self) -> Watching:
        """Return a context yielding a probe woken by inotify events on its directory and by its own stability timer.

        The watch is armed before the first look, so a file landing between a look and the wait
        still wakes it; a directory that does not exist yet is watched from its nearest parent.
        """
        return Watching(self)


class Watching:
    """One wait's hold on a FileCheck: its subscription, what it saw and its stability timer.

    A class rather than a generator-based context manager with a closure: a triggerer holds one
    per waiting file sensor for the whole wait, and fewer long-lived objects mean shorter GC passes.
    """

    __slots__ = ("_check", "_last_look", "_steadiness", "_subscription", "_timer", "_wakeup")

    def __init__(self, check: FileCheck) -> None:
        self._check = check
        self._wakeup = asyncio.Event()
        self._steadiness = Steadiness()
        self._timer: asyncio.TimerHandle | None = None
        self._last_look = -DEBOUNCE_SECONDS  # loop time of the last scan
        self._subscription = subscribe(check.pattern.root, check.watched_names(), self._wakeup, enabled=check.watch)

    async def __aenter__(self) -> Probe:
        await self._subscription.__aenter__()
        return Probe(check=self.look, wakeup=self._wakeup)

    async def __aexit__(self, *exc_info: object) -> None:
        self._stop_timer()
        await self._subscription.__aexit__()

    async def look(self) -> Outcome:
        """Re-arm the watch if it moved, look (at most once per debounce window), judge; return the outcome."""
        found = await self._scan()
        verdict = self._check.judge(found, time.time(), self._steadiness)
        self._recheck_in(verdict.recheck_in)
        return verdict.outcome

    async def sorted_look(self) -> Sorting:
        """Re-arm the watch if it moved, look; return every file sorted by the rules (what an event trigger emits)."""
        sorting = self._check.sort(await self._scan(), time.time(), self._steadiness)
        self._recheck_in(sorting.recheck_in)
        return sorting

    async def _scan(self) -> Scan:
        """Re-arm the watch if it moved; scan at most once per debounce window; return what was found."""
        self._stop_timer()
        loop = asyncio.get_running_loop()
        too_soon = self._last_look + DEBOUNCE_SECONDS - loop.time()
        if too_soon > 0:
            await asyncio.sleep(too_soon)
            self._wakeup.clear()  # the events of this window are all covered by the scan below
        self._last_look = loop.time()
        await self._subscription.refresh()
        found = await self._check.look()
        self._subscription.saw(found.root_exists)
        return found

    def _recheck_in(self, seconds: float | None) -> None:
        if seconds is not None:
            # A writer that stops writing sends no event: wake when it has been quiet long enough.
            self._timer = asyncio.get_running_loop().call_later(seconds, self._wakeup.set)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
