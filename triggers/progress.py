"""What a deferred wait is doing now, published where the api-server can read it: one Variable per wait.

A trigger cannot write the database, and Airflow 3.3's task state store is read-only from it;
Variables it can write through its supervisor. So each deferred task instance gets
``deferrable_sensors.now.<ti id>``, a :class:`Snapshot` as compact JSON (at most :data:`MAX_BYTES`),
written on a change of state (first attempt, outcome kind, error class, breaker), at most every
``min_gap`` seconds, else refreshed every ``refresh`` seconds. Writes run in a task of their own,
one in flight per wait (a newer snapshot replaces a queued one); the Variable is deleted when the
wait ends or the trigger is cleaned up, and the dashboard ignores one whose task is not deferred.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import KW_ONLY, asdict, dataclass, field
from typing import Any, Protocol

from airflow.sdk._shared.secrets_masker import redact  # what airflow.sdk.log uses; not re-exported there

from triggers.breaker import CircuitBreaker
from triggers.history import Attempt
from triggers.outcomes import NotYet, Outcome

KEY_PREFIX = "deferrable_sensors.now."
SNAPSHOT_VERSION = 1
MAX_BYTES = 2048
TEXT_LIMIT = 240
DEFAULT_MIN_GAP = 5.0
DEFAULT_REFRESH = 120.0

log = logging.getLogger(__name__)


class ProgressSink(Protocol):
    """Where snapshots go: async put and delete of a raw string by key."""

    async def put(self, key: str, value: str) -> None: ...
    async def delete(self, key: str) -> None: ...


class SupervisorVariables:
    """Airflow Variables from inside the triggerer: messages to its supervisor, which calls the API."""

    async def put(self, key: str, value: str) -> None:
        from airflow.sdk.execution_time import task_runner
        from airflow.sdk.execution_time.comms import PutVariable

        await task_runner.SUPERVISOR_COMMS.asend(PutVariable(key=key, value=value, description="sensor progress"))

    async def delete(self, key: str) -> None:
        from airflow.sdk.execution_time import task_runner
        from airflow.sdk.execution_time.comms import DeleteVariable

        await task_runner.SUPERVISOR_COMMS.asend(DeleteVariable(key=key))


def progress_key(ti_id: object) -> str:
    """Return the Variable key of the wait of task instance ``ti_id``."""
    return f"{KEY_PREFIX}{ti_id}"


def _clip(text: str | None) -> str | None:
    return None if text is None else str(redact(text))[:TEXT_LIMIT]


@dataclass
class Snapshot:
    """One wait now. Times are epoch seconds; ``publish_ms`` is how long the previous write took."""

    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    try_number: int
    kind: str
    what: str
    started_at: float
    updated_at: float = 0.0
    attempts: int = 0
    outcome: str | None = None
    reason: str | None = None
    error: str | None = None
    next_at: float | None = None
    interval: float | None = None
    breaker: str = "closed"
    publish_ms: float | None = None

    def to_json(self) -> str:
        """Return the compact JSON, cut down to :data:`MAX_BYTES` by dropping the free text."""
        data = {"version": SNAPSHOT_VERSION, **asdict(self)}
        raw = json.dumps(data, separators=(",", ":"), default=str)
        if len(raw.encode()) > MAX_BYTES:
            data.update(what=self.what[:40], reason=None, run_id=self.run_id[:100])
            raw = json.dumps(data, separators=(",", ":"), default=str)
        return raw

    @classmethod
    def from_json(cls, raw: str) -> Snapshot:
        """Parse a stored snapshot; raise ValueError when it is not one this version wrote."""
        data = json.loads(raw)  # a JSONDecodeError is a ValueError
        if not isinstance(data, dict) or data.pop("version", None) != SNAPSHOT_VERSION:
            raise ValueError(f"not a version-{SNAPSHOT_VERSION} progress snapshot")
        try:
            return cls(**data)
        except TypeError as error:
            raise ValueError(f"malformed progress snapshot: {error}") from error


@dataclass(eq=False)
class ProgressPublisher:
    """A poll-loop observer that publishes a :class:`Snapshot` on a change of state, bounded in rate."""

    key: str
    snapshot: Snapshot
    sink: ProgressSink
    _: KW_ONLY
    breaker: CircuitBreaker | None = None
    min_gap: float = DEFAULT_MIN_GAP
    refresh: float = DEFAULT_REFRESH
    clock: Callable[[], float] = time.time
    writes: int = field(default=0, init=False)
    _state: tuple[Any, ...] | None = field(default=None, init=False)
    _last_write: float = field(default=float("-inf"), init=False)
    _dirty: bool = field(default=False, init=False)
    _task: asyncio.Task[None] | None = field(default=None, init=False)
    _queued: bool = field(default=False, init=False)
    _ended: bool = field(default=False, init=False)
    _reason: str | None = field(default=None, init=False)

    def __call__(self, attempt: Attempt, outcome: Outcome) -> None:
        """Record ``attempt``; start a write when the state changed (or a refresh is due) and the gap allows."""
        snap, now, interval = self.snapshot, self.clock(), attempt.interval
        snap.attempts += 1
        snap.updated_at, snap.outcome, snap.error, snap.interval = now, outcome.kind, outcome.error, interval
        self._reason = outcome.reason if isinstance(outcome, NotYet) else None  # masked only when written
        snap.next_at = None if interval is None else attempt.at + attempt.duration + interval
        snap.breaker = self.breaker.state if self.breaker is not None else "closed"
        if interval is None:  # met or failed: the wait is over, its snapshot goes
            self._ended, self._queued = True, False
            if self._last_write > float("-inf"):  # nothing to delete if nothing was written
                self._spawn(self.sink.delete(self.key))
            return
        state = (snap.outcome, snap.error, snap.breaker)
        self._dirty, self._state = self._dirty or state != self._state, state
        since = now - self._last_write
        if (self._dirty and since >= self.min_gap) or since >= self.refresh:
            self._dirty, self._last_write = False, now
            self._publish()

    def _publish(self) -> None:
        if self._task is not None and not self._task.done():
            self._queued = True  # one write in flight: the newest snapshot follows it
            return
        self._spawn(self._put(self._serialised()))

    def _serialised(self) -> str:
        self.snapshot.reason = _clip(self._reason)
        return self.snapshot.to_json()

    def _spawn(self, work: Awaitable[None]) -> None:
        async def guarded() -> None:
            try:
                await work
            except Exception as error:  # progress is best effort: a failed write never fails the wait
                log.warning("Sensor progress %s not written (%s: %s)", self.key, type(error).__name__, error)

        self._task = asyncio.ensure_future(guarded())

    async def _put(self, raw: str) -> None:
        began = time.monotonic()
        await self.sink.put(self.key, raw)
        self.writes += 1
        self.snapshot.publish_ms = round((time.monotonic() - began) * 1000, 2)
        if self._queued and not self._ended:
            self._queued = False
            await self._put(self._serialised())

    async def retire(self) -> None:
        """Wait for the write in flight, then delete the Variable (the trigger is going away)."""
        task = self._task
        if task is not None and not task.done():
            await asyncio.wait((task,), timeout=5.0)
        if not self._ended and self.writes:
            self._ended = True
            try:
                await self.sink.delete(self.key)
            except Exception as error:  # best effort, as above
                log.warning("Sensor progress %s not deleted (%s: %s)", self.key, type(error).__name__, error)


def publisher_for(
    trigger: Any, breaker: CircuitBreaker | None, sink: ProgressSink | None = None
) -> ProgressPublisher | None:
    """Return the publisher of a trigger that runs for a task instance (None outside a triggerer's task)."""
    ti: Any = getattr(trigger, "task_instance", None)
    ti_id = getattr(ti, "id", None)
    if ti_id is None:
        return None
    if sink is None:
        try:  # first released beside the comms that take concurrent async requests (Airflow 3.3+)
            from airflow.sdk.log import amask_secret  # noqa: F401
        except ImportError:  # 3.1's fail on them ("Response read out of order", then "Trigger runner failed")
            return None
    check = trigger.check
    snapshot = Snapshot(
        dag_id=str(ti.dag_id),
        run_id=str(ti.run_id),
        task_id=str(ti.task_id),
        map_index=int(-1 if getattr(ti, "map_index", None) is None else ti.map_index),
        try_number=int(getattr(ti, "try_number", 0) or 0),
        kind=str(check.kind),
        what=_clip(check.describe()) or "",
        started_at=time.time(),
    )
    return ProgressPublisher(progress_key(ti_id), snapshot, sink or SupervisorVariables(), breaker=breaker)
