"""Waits that ask a source the same question share one asking of it per event loop.

A thousand waits in a triggerer on one health endpoint would otherwise send a thousand requests
per tick. Each wait looks at its own pace (its cadence, backoff and phase). A look takes the
newest answer when it is new to the wait or younger than the shortest interval its cadence
waits (``Probe.fresh_for``: the poke interval less the jitter), and otherwise asks the source, or
joins the asking in flight. Every answer wakes every wait sharing it; a wait with no source of
its own *peeks* (``Probe.peek``): it judges the answer against its own expectation and ends if
it is met or failed, else rests on without counting it as an attempt. So the source is asked at
most about once per interval of its fastest wait, however many waits share it; waits backing off
through an outage ask as their own schedules come due between them; and a change reaches every
wait in the tick that sees it. A wait with a source of its own (a NOTIFY subscription) looks at
every wake instead, and after a notification takes only an answer asked after it
(``Probe.after``), so a notification is never answered from an older asking.

A wait's cadence, breaker, deadline and records stay its own. Its first look is a look like any
other: sensors that defer one after another do not each ask again (a poke's probe has no
``fresh_for``: a poke takes only an answer newer than its last look, or asks). Sources live in
a :class:`~triggers.shared.SharedPool`, so joining and leaving are safe under cancellation and
the last wait leaving closes the source.

A wait may bring an *interest* (its order ids): the source is asked about all its waits'
interests at once, and a wait only takes an answer that covered its own. A lasting error of an
asking about other waits' interests too may be theirs, so the wait asks about its own alone
before it fails on it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import copy
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from triggers.checks import Probe, outcome_for
from triggers.errors import is_transient
from triggers.outcomes import Outcome
from triggers.shared import SharedPool

R = TypeVar("R")

#: Askings begun in this process so far, of every source: an answer numbered above a count taken
#: when something changed was asked after the change (no clock: waits may run on test clocks).
_begun = 0


def begun() -> int:
    """Return how many askings have begun in this process: what a change notes (``Probe.after``)."""
    return _begun


#: Asks the source once, about the interests of the waits subscribed now (their order ids, say;
#: empty for a question that is the same for all); what it opens to do so (a session lease) goes
#: on the source's stack, which is closed with the source.
Ask = Callable[[contextlib.AsyncExitStack, frozenset[Hashable]], Awaitable[R]]


@dataclass(frozen=True, slots=True)
class Answer(Generic[R]):
    """The ``seq``-th answer of a source: what it returned, or what it raised."""

    seq: int
    value: R | None = None
    error: Exception | None = None
    #: the interests it was asked about
    covers: frozenset[Hashable] = frozenset()
    #: when its asking began, on the asking wait's clock (not when it came: waits polling in step
    #: would find it a few ms younger than an interval at the next tick, which would go unasked)
    at: float = 0.0
    #: its asking's place among the askings begun in this process (see :func:`begun`)
    number: int = 0


async def _given(answer: Answer[R]) -> Answer[R]:
    return answer


class _Abandoned(Exception):
    """The wait that was asking was cancelled before the answer came: another wait asks."""


class SharedSource(Generic[R]):
    """One source, asked by one wait at a time for all of them; each answer wakes every subscribed wait."""

    def __init__(self, ask: Ask[R]) -> None:
        self._ask = ask
        self.latest: Answer[R] = Answer(0)
        #: each subscribed wait's wakeup, set by every answer
        self.wakeups: set[asyncio.Event] = set()
        #: how many subscribed waits have each interest
        self.interests: collections.Counter[Hashable] = collections.Counter()
        self.asked = 0
        #: the answer being asked for, which waits looking meanwhile await
        self._asking: asyncio.Future[Answer[R]] | None = None
        self._stack = contextlib.AsyncExitStack()

    def answer_after(
        self,
        seen: int,
        needs: frozenset[Hashable] = frozenset(),
        fresh_for: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        after: int = 0,
    ) -> Awaitable[Answer[R]]:
        """Return the newest answer if it is about ``needs``, was asked after ``after`` askings had
        begun, and is newer than answer ``seen`` or than ``fresh_for`` seconds on ``clock``; else
        ask (or await an asking that qualifies) for one.

        Not a coroutine itself: the caller awaits the asking directly, one frame less per answer.
        """
        latest = self.latest
        if (
            needs <= latest.covers
            and latest.number > after
            and (latest.seq > seen or (latest.seq and clock() - latest.at < fresh_for))
        ):
            return _given(latest)
        asking = self._asking
        if asking is None:
            return self._ask_here(clock)
        return self._await(asking, seen, needs, fresh_for, clock, after)

    async def _await(
        self,
        asking: asyncio.Future[Answer[R]],
        seen: int,
        needs: frozenset[Hashable],
        fresh_for: float,
        clock: Callable[[], float],
        after: int,
    ) -> Answer[R]:
        """Await the asking in flight; return its answer if it qualifies (see :meth:`answer_after`),
        else look again once it ended (so do waits it left out or whose asker was cancelled).

        Waiting, not asking at once: 1,000 order waits starting together made 1,000 queries, each
        about every order so far; now the first asks after it for all, and the others join that.
        """
        with contextlib.suppress(_Abandoned):
            # shield: a wait timing out or cancelled while it waits must not cancel the asking
            answer = await asyncio.shield(asking)
            if needs <= answer.covers and answer.number > after:
                return answer
        return await self.answer_after(seen, needs, fresh_for, clock, after)

    async def _ask_here(self, clock: Callable[[], float]) -> Answer[R]:
        """Ask in the calling wait's own task (no task per asking: a lone wait pays nothing extra)."""
        global _begun
        asking = self._asking = asyncio.get_running_loop().create_future()
        covers = frozenset(self.interests)
        self.asked += 1
        _begun += 1
        number = _begun
        at = clock()
        try:
            value, error = await self._ask(self._stack, covers), None
        except asyncio.CancelledError:
            asking.set_exception(_Abandoned())
            asking.exception()  # retrieved: with nobody waiting on it, it is not news
            raise
        except Exception as raised:  # an answer too: every wait classifies it as its own check would
            value, error = None, raised
        finally:
            if self._asking is asking:  # a wait with new interests may have asked meanwhile
                self._asking = None
        answer = self.latest = Answer(self.latest.seq + 1, value, error, covers, at, number)
        if self.wakeups:  # a lone wait's own wakeup is out of the set while it asks
            _wake(list(self.wakeups))
        asking.set_result(answer)
        return answer

    async def ask_alone(self, interests: frozenset[Hashable]) -> Answer[R]:
        """Ask about ``interests`` only, for one wait: the answer is neither kept nor sent to others."""
        try:
            return Answer(self.latest.seq, await self._ask(self._stack, interests), None, interests)
        except Exception as raised:
            return Answer(self.latest.seq, None, raised, interests)

    async def close(self) -> None:
        """Close what asking opened (asks run in the waits' own tasks, which have left)."""
        await self._stack.aclose()


#: Waits woken per loop iteration: each judges the answer in the iteration after its wake, so a
#: thousand at once would hold the loop for one long iteration (over the triggerer's 200 ms
#: warning at 1,000 waits); in batches, timers and I/O run between them.
WAKE_BATCH = 100


def _wake(wakeups: list[asyncio.Event], start: int = 0) -> None:
    """Set ``wakeups`` from ``start`` on, WAKE_BATCH of them now and the rest in later iterations."""
    for wakeup in wakeups[start : start + WAKE_BATCH]:
        wakeup.set()
    if start + WAKE_BATCH < len(wakeups):
        asyncio.get_running_loop().call_soon(_wake, wakeups, start + WAKE_BATCH)


def _copy_of(error: Exception) -> Exception:
    """Return a copy of ``error`` to raise in one wait.

    Raising the one object in every wait would chain each raise's traceback and context onto
    it (a gather raising it while handling another condition's copy makes a cycle).
    """
    try:
        copied = copy.copy(error)
    except Exception:  # an exception class that cannot be rebuilt from its args
        return error.with_traceback(None)
    copied.__cause__ = error.__cause__
    return copied


@dataclass(frozen=True)
class SourceKey:
    """What makes two asks the same question; ``ask`` is the first subscriber's (equal keys ask alike)."""

    text: str
    ask: Ask[Any] = field(compare=False, hash=False)


SOURCES: SharedPool[SourceKey, SharedSource[Any]] = SharedPool(
    None, SharedSource.close, make=lambda key: SharedSource(key.ask)
)


@contextlib.asynccontextmanager
async def shared_probe(
    key: str,
    ask: Ask[R],
    judge: Callable[[R], Awaitable[Outcome]],
    *,
    interest: frozenset[Hashable] = frozenset(),
    wakeup: asyncio.Event | None = None,
) -> AsyncIterator[Probe]:
    """Yield a probe that judges the answers of the source shared under ``key``.

    Its ``check()`` raises what the asking raised (each wait classifies it), or returns
    ``judge(value)`` of an answer that covers ``interest``. Its ``wakeup`` (``wakeup``, when the
    wait has one of its own, such as a NOTIFY subscription's) is also set by every answer. Its
    ``peek()`` (None with a ``wakeup`` of its own) returns what an answer new to this wait says,
    or None when there is none.
    """
    # interned: a thousand waits on one request hold one copy of its key
    async with SOURCES.lease(SourceKey(sys.intern(key), ask)) as source:
        woken = wakeup if wakeup is not None else asyncio.Event()
        seen = source.latest.seq

        async def check() -> Outcome:
            nonlocal seen
            # while it waits for an answer this wait is not woken by it: a gather forwarding the
            # wakeup would otherwise start another round, whose asking wakes it again, and so on
            source.wakeups.discard(woken)
            try:
                answer = await source.answer_after(seen, interest, probe.fresh_for, probe.clock, probe.after)
            finally:
                source.wakeups.add(woken)
            seen = answer.seq
            return await settle(answer)

        async def peek() -> Outcome | None:
            nonlocal seen
            answer = source.latest
            if answer.seq <= seen or not interest <= answer.covers:
                return None
            seen = answer.seq
            try:
                return await settle(answer)
            except Exception as error:  # what a look would make of it (cancellation propagates)
                return outcome_for(error)

        def settle(answer: Answer[R]) -> Awaitable[Outcome]:
            """Return ``judge`` of the answer's value, or what raises its error (a copy)."""
            if answer.error is None:  # most answers: judged with no frame of settle's own
                return judge(answer.value)  # type: ignore[arg-type]  # value is set when error is not
            return settle_error(answer)

        async def settle_error(answer: Answer[R]) -> Outcome:
            if answer.error is not None and interest and answer.covers != interest and not is_transient(answer.error):
                # a lasting error of an asking about other waits' interests too may be theirs (an id
                # that does not fit the column): ask about this wait's own before failing it
                answer = await source.ask_alone(interest)
            if answer.error is not None:
                raise _copy_of(answer.error)
            return await judge(answer.value)  # type: ignore[arg-type]  # value is set when error is not

        # a wait with a source of its own (a NOTIFY subscription) looks on every wake: no peeking
        probe = Probe(check=check, wakeup=woken, peek=peek if wakeup is None else None)
        source.wakeups.add(woken)
        source.interests.update(interest)
        try:
            yield probe
        finally:
            source.wakeups.discard(woken)
            source.interests.subtract(interest)
            source.interests += collections.Counter()  # drops interests no wait has any more
