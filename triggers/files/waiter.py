"""One wait on a file in a shared directory (:mod:`triggers.files.directory`): what it holds between
judgements, and the directory's index of its waits by the names they watch."""

from __future__ import annotations

import asyncio
import contextvars
import math
from collections.abc import Callable, Iterable, KeysView, Sequence
from dataclasses import dataclass, field

from triggers.cadence import Cadence
from triggers.files.check import FileCheck
from triggers.files.pattern import FileStat
from triggers.history import Attempt
from triggers.outcomes import Failed, Met, Outcome
from triggers.prober import AnswerKey, Log


@dataclass(eq=False, slots=True)
class Waiter:
    """One wait on a file in a directory: its check and what it needs between judgements."""

    check: FileCheck
    cadence: Cadence
    attempt_timeout: float | None
    done: asyncio.Future[Met | Failed | None]
    log: Log
    observer: Callable[[Attempt, Outcome], None] | None = None
    #: the directory's listing count at this wait's first look (0: not looked yet), and its time
    first: int = 0
    first_at: float = math.inf
    #: epoch seconds when a pending file will have been stable for ``stable_for``
    recheck_at: float | None = None
    said: AnswerKey | None = None
    #: the last outcome without its detail, kept only for an observer (it is told each listing)
    last: Outcome | None = None
    #: the wait's own context: Airflow's triggerer routes a log line to the task log its context
    #: names (``trigger_id``), so what is said of this wait is said in it, not in the directory's
    context: contextvars.Context = field(default_factory=contextvars.copy_context)


class SeenBy:
    """Since when each file's size and mtime hold, as one wait has seen it (FileCheck's steadiness)."""

    __slots__ = ("first_at", "seen")

    def __init__(self, seen: dict[str, tuple[int, float, float]], first_at: float) -> None:
        self.seen, self.first_at = seen, first_at

    def since(self, files: Iterable[FileStat], now: float) -> dict[str, float]:
        # a change the directory saw at or before this wait's first look is, to the wait, how it
        # found the file: the file's mtime is the only evidence (-inf), as a lone wait would have it
        found = {}
        for f in files:
            since = self.seen.get(f.path, (0, 0.0, -math.inf))[2]
            found[f.path] = since if since > self.first_at else -math.inf
        return found


class NameIndex:
    """The waits of a directory by the name (or glob) each watches.

    Most names have one wait: a name holds that waiter itself, and a list only while two or more
    share it (a one-element list per wait would be one more GC-tracked object and ~80 bytes).
    """

    __slots__ = ("_held",)

    def __init__(self) -> None:
        self._held: dict[str, Waiter | list[Waiter]] = {}

    def add(self, name: str, waiter: Waiter) -> bool:
        """Index ``waiter`` under ``name``; return True when no wait watched ``name`` before."""
        held = self._held.get(name)
        if held is None:
            self._held[name] = waiter
            return True
        if isinstance(held, list):
            held.append(waiter)
        else:
            self._held[name] = [held, waiter]
        return False

    def remove(self, name: str, waiter: Waiter) -> None:
        """Drop ``waiter`` from ``name`` (nothing if it is not there), and ``name`` when it was the last."""
        held = self._held.get(name)
        if held is waiter:
            del self._held[name]
        elif isinstance(held, list) and waiter in held:
            held.remove(waiter)
            if len(held) == 1:
                self._held[name] = held[0]

    def get(self, name: str) -> Sequence[Waiter]:
        """Return the waits watching ``name`` (empty when none)."""
        held = self._held.get(name)
        if held is None:
            return ()
        return held if isinstance(held, list) else (held,)

    def names(self) -> KeysView[str]:
        """Return the names some wait watches."""
        return self._held.keys()
