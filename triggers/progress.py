"""What a deferred wait is doing now, published where the api-server can read it: one Variable per wait.

The triggerer's runner has no database access, and Airflow 3.3's task state store is read-only
from a trigger (the supervisor proxies ``GetTaskStates`` but no set). Variables are writable
there (``PutVariable`` / ``DeleteVariable`` through the supervisor and the execution API), so
each deferred task instance gets one Variable, ``deferrable_sensors.now.<ti id>``, holding a
:class:`Snapshot` as compact JSON (at most :data:`MAX_BYTES`).

Bounded in frequency: a snapshot is written when the wait's state changes (the first attempt,
a new outcome kind, a new error class, a breaker transition), never more often than every
``min_gap`` seconds, and otherwise refreshed at most every ``refresh`` seconds so the attempt
count and the next check do not go stale. A write runs in its own task (the loop never waits on
it); at most one is in flight per wait, and a newer snapshot replaces one still queued. The
Variable is deleted when the wait ends (met or failed) and when the trigger is cleaned up; the
dashboard also ignores a snapshot whose task instance is no longer deferred.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
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
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ValueError(f"not JSON: {error}") from error
        if not isinstance(data, dict) or data.pop("version", None) != SNAPSHOT_VERSION:
            raise ValueError(f"not a version-{SNAPSHOT_VERSION} progress snapshot")
        try:
            return cls(**data)
        except TypeError as error:
            raise ValueError(f"malformed progress snapshot: {error}") from error


class ProgressPublisher:
    """A poll-loop observer that publishes a :class:`Snapshot` on a change of state, bounded in rate."""

    def __init__(
        self,
        key: str,
        snapshot: Snapshot,
        sink: ProgressSink,
        *,
        breaker: CircuitBreaker | None = None,
        min_gap: float = DEFAULT_MIN_GAP,
        refresh: float = DEFAULT_REFRESH,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.key = key
        self.snapshot = snapshot
        self.sink = sink
        self.breaker = breaker
        self.min_gap = min_gap
        self.refresh = refresh
        self.clock = clock
        self.writes = 0
        self._state: tuple[Any, ...] | None = None
        self._last_write = float("-inf")
        self._dirty = False
        self._task: asyncio.Task[None] | None = None
        self._queued = False
        self._ended = False
        self._reason: str | None = None

    def __call__(self, attempt: Attempt, outcome: Outcome) -> None:
        """Record ``attempt``; start a write when the state changed (or a refresh is due) and the gap allows."""
        snap = self.snapshot
        now = self.clock()
        snap.attempts += 1
        snap.updated_at = now
        snap.outcome = outcome.kind
        self._reason = outcome.reason if isinstance(outcome, NotYet) else None  # masked only when written
        snap.error = outcome.error
        snap.interval = attempt.interval
        snap.next_at = None if attempt.interval is None else attempt.at + attempt.duration + attempt.interval
        snap.breaker = self.breaker.state if self.breaker is not None else "closed"
        if attempt.interval is None:  # met or failed: the wait is over, its snapshot goes
            self._ended = True
            self._queued = False
            if self._last_write > float("-inf"):  # nothing to delete if nothing was written
                self._spawn(self.sink.delete(self.key))
            return
        state = (snap.outcome, snap.error, snap.breaker)
        self._dirty = self._dirty or state != self._state
        self._state = state
        since = now - self._last_write
        if (self._dirty and since >= self.min_gap) or since >= self.refresh:
            self._dirty = False
            self._last_write = now
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
    ti = getattr(trigger, "task_instance", None)
    ti_id = getattr(ti, "id", None)
    if ti is None or ti_id is None:
        return None
    if sink is None and not _concurrent_comms():
        # Airflow 3.1's triggerer comms fail on concurrent requests ("Response read out of order",
        # then "Trigger runner failed": seen in this project's 3.1.8 e2e); the dashboard needs 3.3.
        return None
    check = trigger.check
    snapshot = Snapshot(
        dag_id=str(ti.dag_id),
        run_id=str(ti.run_id),
        task_id=str(ti.task_id),
        map_index=int(getattr(ti, "map_index", -1) if getattr(ti, "map_index", None) is not None else -1),
        try_number=int(getattr(ti, "try_number", 0) or 0),
        kind=str(check.kind),
        what=_clip(check.describe()) or "",
        started_at=time.time(),
    )
    return ProgressPublisher(progress_key(ti_id), snapshot, sink or SupervisorVariables(), breaker=breaker)


def _concurrent_comms() -> bool:
    """Return True when the triggerer's supervisor comms take concurrent async requests (Airflow 3.3+)."""
    try:
        from airflow.sdk.log import amask_secret  # noqa: F401  # first released beside the concurrent-safe comms
    except ImportError:
        return False
    return True
