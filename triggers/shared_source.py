"""Waits that ask a source the same question share one asking of it per event loop.

A thousand waits in a triggerer on one health endpoint would otherwise send a thousand requests
per tick. A :class:`SharedSource` is asked once per look: a look that finds no answer newer than
its own last one asks the source, or joins the asking in flight, and every answer wakes every
wait sharing it, so each judges it against its own expectation at once. The source is thus asked
at the pace of its most eager wait, and a change reaches every wait in the same tick.

A wait's cadence, breaker, deadline and records stay its own: waits sharing a source see the
same answers, so their backoff and breakers move together and the source sees what one wait would
send. A wait that joins asks afresh (or joins the asking in flight): its first look is never an
answer from before it started. Sources live in a :class:`~triggers.shared.SharedPool`, so joining
and leaving are safe under cancellation and the last wait leaving closes the source.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from triggers.checks import Probe
from triggers.outcomes import Outcome
from triggers.shared import SharedPool

R = TypeVar("R")

#: Asks the source once; what it opens to do so (a session lease) goes on the source's stack,
#: which is closed with the source.
Ask = Callable[[contextlib.AsyncExitStack], Awaitable[R]]


@dataclass(frozen=True, slots=True)
class Answer(Generic[R]):
    """The ``seq``-th answer of a source: what it returned, or what it raised."""

    seq: int
    value: R | None = None
    error: Exception | None = None


class _Abandoned(Exception):
    """The wait that was asking was cancelled before the answer came: another wait asks."""


class SharedSource(Generic[R]):
    """One source, asked by one wait at a time for all of them; each answer wakes every subscribed wait."""

    def __init__(self, ask: Ask[R]) -> None:
        self._ask = ask
        self.latest: Answer[R] = Answer(0)
        #: each subscribed wait's wakeup, set by every answer
        self.wakeups: set[asyncio.Event] = set()
        self.asked = 0
        #: the answer being asked for, which waits looking meanwhile await
        self._asking: asyncio.Future[Answer[R]] | None = None
        self._stack = contextlib.AsyncExitStack()

    async def answer_after(self, seen: int) -> Answer[R]:
        """Return the newest answer if newer than answer ``seen``; else ask (or await the asking) for one."""
        while self.latest.seq <= seen:
            if self._asking is None:
                return await self._ask_here()
            try:
                # shield: a wait timing out or cancelled while it waits must not cancel the asking
                return await asyncio.shield(self._asking)
            except _Abandoned:
                continue  # the asker was cancelled: ask again, or await whoever asks first
        return self.latest

    async def _ask_here(self) -> Answer[R]:
        """Ask in the calling wait's own task (no task per asking: a lone wait pays nothing extra)."""
        asking = self._asking = asyncio.get_running_loop().create_future()
        self.asked += 1
        try:
            value, error = await self._ask(self._stack), None
        except asyncio.CancelledError:
            asking.set_exception(_Abandoned())
            asking.exception()  # retrieved: with nobody waiting on it, it is not news
            raise
        except Exception as raised:  # an answer too: every wait classifies it as its own check would
            value, error = None, raised
        finally:
            self._asking = None
        answer = self.latest = Answer(self.latest.seq + 1, value, error)
        for wakeup in self.wakeups:
            wakeup.set()
        asking.set_result(answer)
        return answer

    async def close(self) -> None:
        """Close what asking opened (asks run in the waits' own tasks, which have left)."""
        await self._stack.aclose()


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


async def _open(key: SourceKey) -> SharedSource[Any]:
    return SharedSource(key.ask)


async def _close(source: SharedSource[Any]) -> None:
    await source.close()


SOURCES: SharedPool[SourceKey, SharedSource[Any]] = SharedPool(_open, _close)


@contextlib.asynccontextmanager
async def shared_probe(key: str, ask: Ask[R], judge: Callable[[R], Awaitable[Outcome]]) -> AsyncIterator[Probe]:
    """Yield a probe that judges the answers of the source shared under ``key``.

    Its ``check()`` raises what the asking raised (each wait classifies it), or returns
    ``judge(value)``; its ``wakeup`` is set by every answer the source gives.
    """
    # interned: a thousand waits on one request hold one copy of its key
    async with SOURCES.lease(SourceKey(sys.intern(key), ask)) as source:
        wakeup = asyncio.Event()
        seen = source.latest.seq

        async def check() -> Outcome:
            nonlocal seen
            # while it waits for an answer this wait is not woken by it: a gather forwarding the
            # wakeup would otherwise start another round, whose asking wakes it again, and so on
            source.wakeups.discard(wakeup)
            try:
                answer = await source.answer_after(seen)
            finally:
                source.wakeups.add(wakeup)
            seen = answer.seq
            if answer.error is not None:
                raise _copy_of(answer.error)
            return await judge(answer.value)  # type: ignore[arg-type]  # value is set when error is not

        source.wakeups.add(wakeup)
        try:
            yield Probe(check=check, wakeup=wakeup)
        finally:
            source.wakeups.discard(wakeup)
