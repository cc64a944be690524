"""Waits on files in one directory share one listing of it per tick, and a wait that nothing changed for costs nothing.

A triggerer with 10,000 file sensors over 100 partner directories lists each directory once per
tick instead of globbing 10,000 times, and wakes no wait whose answer cannot have changed. A
waiting file sensor holds its check, its deadline timer and its place in its directory's name
index; it is judged again only when a name it matches changes, when its file's ``stable_for``
time comes, or when the directory itself changes (appears, goes, fails to list). An inotify event
in the directory (one watch, through the loop's shared watcher) asks for a listing at once.

The directory owns the attempts: one listing is one attempt of every wait on it, so the tick
follows its fastest wait's cadence, listing errors back them all off together, and a wait's
report copies the directory's attempt records from its first look to its last. The one wait
rule that differs from a lone wait's: metrics count listings, not waits times listings.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import glob
import logging
import math
import os
import random
import time
from collections.abc import Iterable
from dataclasses import replace
from typing import TypeVar

from triggers.cadence import Cadence, decide
from triggers.checks import Probe, outcome_for, outcome_of
from triggers.errors import SensorError
from triggers.files.batch import in_batch, on_beat
from triggers.files.check import DEBOUNCE_SECONDS, FileCheck, Steadiness
from triggers.files.listing import Interest, Listing, list_directory, scan_for
from triggers.files.pattern import FileStat
from triggers.files.subscription import subscribe
from triggers.files.waiter import NameIndex, SeenBy, Waiter, end_wait
from triggers.history import Attempt
from triggers.metrics import emit_attempt
from triggers.outcomes import Failed, Met, NotYet, Outcome
from triggers.prober import log_outcome
from triggers.shared import SharedPool, cancel_and_wait

log = logging.getLogger(__name__)

#: What a listing that worked says as an attempt of the directory (each wait judges its own files).
LISTED = NotYet("listed")
_RNG = random.Random()
K = TypeVar("K")


class SharedDirectory:
    """One directory of the loop, listed for all the waits on files in it."""

    def __init__(self, root: str, watch: bool) -> None:
        self.root, self.watch = root, watch
        self.joining: set[Waiter] = set()
        self.timed: set[Waiter] = set()
        self.watched: set[Waiter] = set()  # waiters with an observer
        self.by_name = NameIndex()
        self.by_part = NameIndex()
        self.cadences: collections.Counter[Cadence] = collections.Counter()
        self.timeouts: collections.Counter[float | None] = collections.Counter()
        self.records: list[Attempt] = []
        self.limit = 20
        self.listings = 0
        #: loop time the cadence lists next at
        self.due = 0.0
        self.listing: Listing | None = None
        self.failure: Outcome | None = None
        #: since when each file's size and mtime hold, as the directory's listings saw it
        self.steadiness = Steadiness()
        self.wakeup = asyncio.Event()
        self._interest: Interest | None = None
        # a context of its own: the task must not speak in the name of the wait that opened it
        self._task = asyncio.get_running_loop().create_task(self._run(), context=contextvars.Context())

    @property
    def waiters(self) -> set[Waiter]:
        """Return the waits on this directory (from its name indexes: a set of its own cost 68 bytes a wait)."""
        return {*self.by_name.waiters(), *self.by_part.waiters()}

    def join(self, waiter: Waiter, max_records: int) -> None:
        """Add ``waiter``; it is judged on the first listing that starts after now."""
        self.joining.add(waiter)
        if waiter.observer is not None:
            self.watched.add(waiter)
        for name in waiter.check.watched_names():
            index = self.by_part if glob.has_magic(name) else self.by_name
            if index.add(name, waiter):
                self._interest = None  # a name nobody waited for: the next listing must stat it
        self.cadences[waiter.cadence] += 1
        self.timeouts[waiter.attempt_timeout] += 1
        self.limit = max(self.limit, max_records)
        waiter.directory = self
        self.wakeup.set()

    def leave(self, waiter: Waiter) -> None:
        """Remove ``waiter`` from everything that names it, and count its hold of this directory out."""
        for found in (self.joining, self.timed, self.watched):
            found.discard(waiter)
        for name in waiter.check.watched_names():
            index = self.by_part if glob.has_magic(name) else self.by_name
            # the interest keeps a name nobody watches now until the next join rebuilds it: a few
            # stats too many, against recompiling every glob of the directory on each leave
            index.remove(name, waiter)
        _drop_one(self.cadences, waiter.cadence)
        _drop_one(self.timeouts, waiter.attempt_timeout)
        waiter.directory = None
        DIRECTORIES.let_go((self.root, self.watch))

    async def close(self) -> None:
        await cancel_and_wait(self._task)

    async def _run(self) -> None:
        try:
            loop = asyncio.get_running_loop()
            async with subscribe(self.root, ("*",), self.wakeup, enabled=self.watch) as subscription:
                last = -math.inf
                while True:
                    if not self.joining and not self.wakeup.is_set():
                        try:
                            async with asyncio.timeout_at(on_beat(loop.time(), self._delay())):
                                await self.wakeup.wait()
                        except TimeoutError:
                            pass
                    # at most one listing per debounce window: a burst of events is one listing
                    if (too_soon := last + DEBOUNCE_SECONDS - loop.time()) > 0:
                        await asyncio.sleep(too_soon)
                    self.wakeup.clear()
                    last = loop.time()
                    await subscription.refresh()
                    await self._look()
                    if self.listing is not None:
                        subscription.saw(self.listing.root_exists)
        except Exception as error:  # a bug here must end every wait on the directory, loudly
            log.exception("listing %s for its waits failed", self.root)
            for waiter in self.waiters:
                if not waiter.done():
                    waiter.set_exception(error)
                waiter.leave()

    def _pace(self) -> None:
        """Decide when to list next, the fastest cadence's delay after the newest listing, and stamp it there.

        Stamped before any wait hears of the listing: a progress observer reads an attempt
        without an interval as the wait's end.
        """
        delay = min(decide(cadence, self.records, None, _RNG) for cadence in self.cadences) if self.cadences else 60.0
        self.records[-1] = replace(self.records[-1], interval=round(delay, 3))
        self.due = asyncio.get_running_loop().time() + delay

    def _delay(self) -> float:
        """Return the seconds to the next listing: the cadence's, or a stability recheck's if sooner."""
        delay = self.due - asyncio.get_running_loop().time()
        if self.timed:
            delay = min(delay, *(w.recheck_at - time.time() for w in self.timed if w.recheck_at is not None))
        return max(0.0, delay)

    def _timeout(self) -> float | None:
        given = [t for t in self.timeouts if t is not None]
        return min(given) if len(given) == len(self.timeouts) and given else None

    def interest(self) -> Interest:
        if self._interest is None:
            self._interest = Interest(frozenset(self.by_name.names()), frozenset(self.by_part.names()))
        return self._interest

    async def _look(self) -> None:
        """List the directory once and judge every wait whose answer may have changed."""
        fresh, self.joining = {w for w in self.joining if not w.done()}, set()
        interest = self.interest()
        listed: list[Listing] = []

        async def list_once() -> Outcome:
            listed.append(await in_batch(list_directory, self.root, interest))
            return LISTED

        began, at = time.monotonic(), time.time()
        outcome = await outcome_of(Probe(check=list_once), self._timeout())
        duration = time.monotonic() - began
        now = time.time()
        self.listings += 1
        self.records.append(Attempt(at, round(duration, 6), outcome.kind, outcome.error))
        self._pace()
        del self.records[: -self.limit]
        emit_attempt(FileCheck.kind)(self.records[-1], outcome)
        for waiter in fresh:
            waiter.first, waiter.first_at = self.listings, now
        if not listed:  # the listing itself failed: that is every wait's answer
            changed = self.waiters if outcome != self.failure else fresh
            self.failure = outcome
            for waiter in list(changed):
                self._settle(waiter, outcome, None)
        else:
            changed = fresh | self._changed(listed[0], now)
            self.failure, self.listing = None, listed[0]
            for waiter in list(changed):
                self._judge(waiter, listed[0], now)
        for waiter in list(self.watched - changed):  # each observer hears of every attempt
            if waiter.last is not None:
                waiter.context.run(self._tell, waiter, waiter.last)

    def _changed(self, listing: Listing, now: float) -> set[Waiter]:
        """Return the waits whose files changed since the last listing (all, if the directory did); note the changes."""
        old = self.listing
        whole = old is None or self.failure is not None or old.root_exists != listing.root_exists
        names = set() if whole or old is None else set(old.entries.keys() ^ listing.entries.keys())
        files = [FileStat(os.path.join(self.root, n), e.size, e.mtime) for n, e in listing.entries.items()]
        self.steadiness.since(files, now)
        if old is not None:
            names.update(name for name, entry in listing.entries.items() if old.entries.get(name) != entry)
        changed = self.waiters if whole else self._matching(names)
        changed.update(w for w in self.timed if w.recheck_at is not None and w.recheck_at <= now)
        return changed

    def _matching(self, names: Iterable[str]) -> set[Waiter]:
        found: set[Waiter] = set()
        interest = self.interest()  # its prefix index finds a name's globs without trying them all
        for name in names:
            found.update(self.by_name.get(name))
            for part in interest.globs_matching(name):
                found.update(self.by_part.get(part))
        return found

    def answer(self, waiter: Waiter, listing: Listing, now: float) -> tuple[Outcome, float | None]:
        """Return what ``listing`` says to ``waiter`` at ``now``, and when to judge again (stable_for)."""
        check = waiter.check
        try:
            found = scan_for(check.pattern, check.marker_suffix, listing)
        except SensorError as error:
            return outcome_for(error), None
        verdict = check.judge(found, now, SeenBy(self.steadiness.held, waiter.first_at))  # type: ignore[arg-type]
        return verdict.outcome, verdict.recheck_in

    def _judge(self, waiter: Waiter, listing: Listing, now: float) -> None:
        outcome, recheck_in = self.answer(waiter, listing, now)
        self._settle(waiter, outcome, None if recheck_in is None else now + recheck_in)

    def _settle(self, waiter: Waiter, outcome: Outcome, recheck_at: float | None) -> None:
        if not waiter.done():
            waiter.context.run(self._say, waiter, outcome, recheck_at)

    def _say(self, waiter: Waiter, outcome: Outcome, recheck_at: float | None) -> None:
        """Log and tell what ``waiter`` now says (in its own context); end its wait when met or failed."""
        count = self.listings - waiter.first + 1
        waiter.said = log_outcome(waiter.log, waiter.check.describe(), count, outcome, waiter.said)
        waiter.recheck_at = recheck_at
        (self.timed.add if recheck_at is not None else self.timed.discard)(waiter)
        if isinstance(outcome, (Met, Failed)):
            end_wait(self, waiter, outcome)
            if waiter.observer is not None:
                ended = replace(self.records[-1], outcome=outcome.kind, error=outcome.error, interval=None)
                waiter.observer(ended, outcome)
            return
        if waiter.observer is not None:
            # re-told without its detail: the observer (the progress publisher) reads kind, reason
            # and error, and a detail's pending and unreadable lists are 3 GC-tracked objects a wait
            waiter.last = replace(outcome, detail={}) if outcome.detail else outcome
            self._tell(waiter, outcome)

    def _tell(self, waiter: Waiter, outcome: Outcome) -> None:
        assert waiter.observer is not None
        waiter.observer(self.records[-1], outcome)


def _drop_one(counter: collections.Counter[K], key: K) -> None:
    counter[key] -= 1
    if counter[key] <= 0:
        del counter[key]


#: The directories of each event loop, held by the waits on files in them.
DIRECTORIES: SharedPool[tuple[str, bool], SharedDirectory] = SharedPool(
    None, SharedDirectory.close, make=lambda key: SharedDirectory(*key)
)
