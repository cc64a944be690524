"""Checks: what to look at, with no loop and no sleep.

A check is a frozen spec with one ``async def check() -> Outcome``. The sensor's ``poke()`` and
the trigger's loop both go through :func:`outcome_of`, so the two modes cannot disagree. A check
that needs live resources (a shared HTTP session, a LISTEN connection, an inotify watch)
overrides :meth:`Check.opened` to hold them for the length of a wait and to expose a
``wakeup`` event that cuts the wait short when its source signals a change.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ClassVar

from triggers.errors import PermanentError, TransientError, is_transient
from triggers.outcomes import Failed, NotYet, Outcome
from triggers.spec import Spec


@dataclass(slots=True)
class Probe:
    """A check opened for a wait: call ``check()`` as often as needed.

    ``wakeup`` is set by the source when something changed (a NOTIFY, an inotify event): the poll
    loop clears it before each check and stops waiting when it is set. A probe shared with other
    waits (:mod:`triggers.shared_source`) also has ``peek``: what an answer another wait's asking
    brought says, or None; the loop peeks when woken, so a wait keeps its own pace. ``fresh_for``
    (set by the loop: its cadence's shortest delay) is how old, on ``clock``, an answer may be.
    ``after`` (set after a NOTIFY) is the count of askings begun by then: a look takes only an
    answer asked later (see ``shared_source.begun()``).
    """

    check: Callable[[], Awaitable[Outcome]]
    wakeup: asyncio.Event | None = None
    peek: Callable[[], Awaitable[Outcome | None]] | None = None
    fresh_for: float = 0.0
    clock: Callable[[], float] = time.monotonic
    after: int = 0


class Check(Spec):
    """Base of all checks; subclasses are frozen dataclasses with a ``kind``."""

    __slots__ = ()

    registry: ClassVar[dict[str, type[Spec]]] = {}

    async def check(self) -> Outcome:
        """Look once. Return an outcome, or raise: transient errors mean "not yet".

        By default (for a check that overrides :meth:`opened`) open, look once through the probe, release.
        """
        if type(self).opened is Check.opened:
            raise NotImplementedError
        async with self.opened() as probe:
            return await probe.check()

    def describe(self) -> str:
        """Return a short, secret-free description for log lines."""
        return self.kind

    def escalate(self, outcome: Outcome, repeats: int) -> Outcome:
        """Return ``outcome`` given that ``repeats`` attempts in a row (this one included) ended with its error.

        Asked in every mode with the count the wait state keeps; by default nothing escalates.
        """
        return outcome

    def opened(self) -> contextlib.AbstractAsyncContextManager[Probe]:
        """Return an async context manager that holds what the check needs for a whole wait and yields a probe.

        A check with nothing to hold uses a ``nullcontext``: no suspended generator per waiting trigger.
        """
        return contextlib.nullcontext(Probe(check=self.check))

    # Composition: ``(a & b) | ~c`` waits for "a and b, or not c". The gather layer builds the
    # composites and installs them here (install_composer): this base layer never imports it.

    def __and__(self, other: Check) -> Check:
        """Return a check met when both are (an AllOf)."""
        return _composed("all_of", self, other) if isinstance(other, Check) else NotImplemented

    def __or__(self, other: Check) -> Check:
        """Return a check met when either is (an AnyOf)."""
        return _composed("any_of", self, other) if isinstance(other, Check) else NotImplemented

    def __invert__(self) -> Check:
        """Return a check met while this one is not (a Not)."""
        return _composed("negated", self)


_composers: dict[str, Callable[..., Check]] = {}


def install_composer(**composers: Callable[..., Check]) -> None:
    """Make ``&`` (``all_of``), ``|`` (``any_of``) and ``~`` (``negated``) on checks build these composites."""
    _composers.update(composers)


def _composed(how: str, *checks: Check) -> Check:
    if how not in _composers:  # importing the triggers package installs it: only a partial import gets here
        raise TypeError("check composition needs triggers.gather: import it first")
    return _composers[how](*checks)


async def outcome_of(probe: Probe, timeout: float | None, *, deadline_bound: bool = False) -> Outcome:
    """Return the outcome of one check under ``timeout`` seconds, its exceptions turned into outcomes.

    The timeout is "not yet" (``deadline_bound``: it is the time left before the wait's deadline,
    which words the reason); cancellation propagates. On the timeout the check's await is
    cancelled; a sync function it runs in a thread runs on to its end there.
    """
    # no limit, no timer: asyncio.timeout(None) would still cost five calls per check
    limit = None if timeout is None else asyncio.timeout(max(0.0, timeout))
    try:
        if limit is None:
            return await probe.check()
        async with limit:
            return await probe.check()
    except asyncio.CancelledError:
        raise
    except Exception as error:
        if limit is not None and limit.expired() and not isinstance(error, (TransientError, PermanentError)):
            said = f"no answer before the deadline ({timeout:.3g}s left)" if deadline_bound else ""
            return NotYet(said or f"no answer within {timeout:.3g}s", error="TimeoutError")
        return outcome_for(error)


def outcome_for(error: Exception) -> Outcome:
    """Return what a check that raised ``error`` says: "not yet" for a transient error, else failed."""
    if isinstance(error, TransientError):
        return NotYet(str(error) or type(error).__name__, error=type(error).__name__, retry_after=error.retry_after)
    if isinstance(error, PermanentError):
        return Failed(str(error), error=type(error).__name__)
    if is_transient(error):
        return NotYet(str(error) or type(error).__name__, error=type(error).__name__)
    return Failed(f"{type(error).__name__}: {error}", error=type(error).__name__)


async def check_once(check: Check, timeout: float | None) -> Outcome:
    """Open ``check``, look once, release its resources: what ``poke()`` does."""
    async with check.opened() as probe:
        return await outcome_of(probe, timeout)
