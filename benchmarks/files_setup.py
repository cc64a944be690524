"""What the file benchmarks share: the triggers compared, how an event is timed, and the table.

Compared on the same files:

- ``inotify``: our FileWatchTrigger, woken by the shared watcher, polling as the fallback;
- ``polling``: the same trigger with ``watch=False`` (what happens on a network filesystem);
- ``airflow``: Airflow's own ``FileTrigger`` (apache-airflow-providers-standard), which polls
  with a synchronous ``glob`` on the event loop.

Ours polls at the cadence the sensor builds by default (``Backoff`` with 10 % jitter, no
errors so no growth); FileTrigger at its fixed ``poke_interval``. No completion rule
(``stable_for=0``, no marker): FileTrigger fires on existence, so ours must too to be compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.providers.standard.triggers.file import FileTrigger
from airflow.triggers.base import BaseTrigger

from benchmarks.measure import fired_at, percentile, quiet_logs, ratio
from triggers.cadence import Backoff
from triggers.files import FileCheck, FileWatchTrigger

KINDS = ("inotify", "polling", "airflow")
__all__ = ["KINDS", "fired_at", "make_trigger", "percentile", "quiet_logs", "ratio", "stored", "table"]


def make_trigger(kind: str, path: str, poll: float, *, seed: int | None = 0) -> BaseTrigger:
    """Return a trigger of ``kind`` waiting for ``path``, checking every ``poll`` seconds."""
    if kind == "airflow":
        return FileTrigger(filepath=path, poke_interval=poll)
    check = FileCheck(path, watch=kind == "inotify")
    cadence = Backoff(base=poll, factor=2, cap=max(300.0, poll), jitter=0.1)
    return FileWatchTrigger(check=check.to_dict(), cadence=cadence.to_dict(), seed=seed)


def stored(kind: str, path: str, poll: float, *, seed: int | None = 0) -> tuple[type[BaseTrigger], dict[str, Any]]:
    """Return the class and kwargs a triggerer rebuilds a ``kind`` trigger from (its ``serialize()``).

    Start-up is timed from these, as a triggerer has them from its database: building the check
    and cadence that the kwargs come from is the sensor's work on the worker, not the triggerer's.
    """
    trigger = make_trigger(kind, path, poll, seed=seed)
    return type(trigger), trigger.serialize()[1]


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Return rows as a plain aligned text table."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
