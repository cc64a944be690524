"""One wait on a file in a shared directory (:mod:`triggers.files.directory`): what it holds between judgements."""

from __future__ import annotations

import asyncio
import contextvars
import math
from collections.abc import Callable, Iterable
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
    #: the last outcome, kept only for an observer (it is told each listing)
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
