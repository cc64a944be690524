"""EventWatcher: what the event triggers (``BaseEventTrigger`` s behind ``AssetWatcher`` s) share.

A mixin: each watcher is ``class X(EventWatcher, BaseEventTrigger)`` with its own keyword-only
constructor. It is two halves, so that many watchers of one source share one probe:

- the *producer* (:meth:`~EventWatcher.observations`) looks at the source on each wakeup or
  ``interval`` and yields each look, forever; a failed look is logged once (and once when it
  clears), yielded as :class:`Trouble`, and backed off. Through Airflow 3.3's shared streams
  (``shared_stream_key`` / ``open_shared_stream``) watchers of one source key share one producer.
- the *filter* (:meth:`~EventWatcher.filter_shared_stream`) turns looks into this watcher's
  :meth:`~EventWatcher.changes`, skips those its :class:`Memory` has seen, yields one event per
  new change and remembers it.

A bad argument is kept as ``problem`` (a constructor must not raise), and ``run()`` logs it and
stays idle: a watcher that returns or raises is restarted by nothing, an idle one shows the
problem in its log until the DAG is fixed (which replaces it).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from airflow.triggers.base import TriggerEvent

from triggers.checks import Check
from triggers.events.memory import AssetStateStore, Memory, PreferredStore, StateStore, VariableStateStore
from triggers.shared import cancel_and_wait
from triggers.spec import encode
from triggers.validation import require_positive

#: The longest wait between looks at a failing source, and between memory retries.
MAX_BACKOFF = 300.0
DEFAULT_REMEMBER_AFTER = 5.0


@dataclass(frozen=True)
class Change:
    """One change a watcher saw: its idempotency key and event payload (None: only a new ``mark``)."""

    key: str | None
    payload: dict[str, Any] | None
    mark: Any = None
    with_mark: bool = False


@dataclass(frozen=True)
class Trouble:
    """An observation that failed: the source could not be read this time (the producer logged it)."""

    error: str


def backoff(failures: int, interval: float) -> float:
    """Return the wait after ``failures`` consecutive failures: ``interval`` doubled per failure, capped."""
    return float(min(MAX_BACKOFF, max(interval, 1.0) * 2 ** min(failures - 1, 16)))


class OnceLog:
    """Logs a repeating problem when it starts and when it clears, not on every retry."""

    def __init__(self, log: Any, what: str) -> None:
        self.log = log
        self.what = what
        self.current: str | None = None

    def failed(self, error: BaseException | str) -> str:
        text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        if text != self.current:
            self.log.warning("%s failed (%s); retrying with backoff", self.what, text)
            self.current = text
        return text

    def ok(self) -> None:
        if self.current is not None:
            self.log.info("%s works again", self.what)
            self.current = None


class EventWatcher:
    """The watcher machinery; subclasses check their kwargs in :meth:`build`, say what changed in :meth:`changes`."""

    #: The check family the ``check`` kwarg belongs to, and the kwargs that decide the source
    #: (and so which watchers may share one producer).
    check_class: ClassVar[type[Check]] = Check
    source_kwargs: ClassVar[tuple[str, ...]] = ()
    check: Any
    memory: Memory
    log: Any  # from BaseEventTrigger (LoggingMixin)
    asset_state_store: Any = None  # injected by Airflow 3.3+'s triggerer before run(); 3.1 has none

    def __init__(self, kwargs: Mapping[str, Any]) -> None:
        super().__init__()
        self.kwargs = {name: encode(value) for name, value in kwargs.items()}  # a check may come as a Check
        self.problem: str | None = None
        self.interval = 30.0
        self.remember_after = DEFAULT_REMEMBER_AFTER
        try:
            self.interval = require_positive("interval", kwargs["interval"])
            self.remember_after = require_positive("remember_after", kwargs["remember_after"], allow_zero=True)
            self.check = self.check_class.from_dict(self.kwargs["check"])
            self.kwargs["check"] = self.check.to_dict()
            self.build()
        except Exception as error:  # the triggerer must never see anything but TypeError from here
            self.problem = f"{type(error).__name__}: {error}"

    def build(self) -> None:
        """Validate and build what the watcher needs from ``self.kwargs``; raise on a bad argument."""

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return f"{type(self).__module__}.{type(self).__qualname__}", dict(self.kwargs)

    def describe(self) -> str:
        return type(self).__name__ if self.problem is not None else f"{type(self).__name__} on {self.check.describe()}"

    # -- the producer ------------------------------------------------------------------------

    def source(self) -> dict[str, Any]:
        """Return the kwargs that decide what the producer looks at (watchers with equal ones share it)."""
        return {name: self.kwargs[name] for name in self.source_kwargs}

    def shared_stream_key(self) -> Hashable | None:
        if self.problem is not None:
            return None
        return (type(self).__qualname__, json.dumps(self.source(), sort_keys=True, default=str))

    @classmethod
    async def open_shared_stream(cls, kwargs: dict[str, Any]) -> AsyncIterator[Any]:
        async for observation in cls(**kwargs).observations():
            yield observation

    def observations(self) -> AsyncIterator[Any]:
        """Yield one observation per look, forever (Trouble when a look failed)."""
        raise NotImplementedError

    async def looking(
        self, look: Callable[[], Awaitable[Any]], wakeup: asyncio.Event | None = None
    ) -> AsyncIterator[Any]:
        """Yield ``look()`` now, then on each wakeup or every ``interval``; back off while it raises."""
        trouble = OnceLog(self.log, f"{self.describe()}: look")
        failures = 0
        while True:
            if wakeup is not None:
                wakeup.clear()
            try:
                observation: Any = await look()
                # Python 3.11's wait_for (a look's timeout) can return the result and drop a
                # cancellation landing as it finishes: this endless loop would then never stop
                if (task := asyncio.current_task()) is not None and task.cancelling():
                    raise asyncio.CancelledError
            except asyncio.CancelledError:
                raise
            except Exception as error:  # any source error: the watcher keeps watching
                failures += 1
                observation = Trouble(trouble.failed(error))
            else:
                failures = 0
                trouble.ok()
            yield observation
            if failures:
                await asyncio.sleep(backoff(failures, self.interval))
            elif wakeup is None:
                await asyncio.sleep(self.interval)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wakeup.wait(), self.interval)

    # -- the filter --------------------------------------------------------------------------

    def changes(self, observation: Any) -> list[Change]:
        """Return what changed in ``observation`` for this watcher (the memory filters repeats)."""
        raise NotImplementedError

    def state_store(self) -> StateStore:
        """Return the asset state store the triggerer injected (if any), falling back to a Variable per watcher."""
        digest = hashlib.sha256(json.dumps(self.serialize(), sort_keys=True, default=str).encode()).hexdigest()
        variable = VariableStateStore(f"deferrable_sensors.events.{type(self).__name__}.{digest[:16]}")
        if self.asset_state_store is None:
            return variable
        return PreferredStore(AssetStateStore(self.asset_state_store), variable)

    async def filter_shared_stream(self, shared_stream: AsyncIterator[Any]) -> AsyncIterator[TriggerEvent]:
        self.memory = Memory(self.state_store(), remember_after=self.remember_after)
        loading = OnceLog(self.log, f"{self.describe()}: reading what was emitted from {self.memory.store!r}")
        flusher = asyncio.create_task(self._flush_forever())
        try:
            async for observation in shared_stream:
                if not self.memory.loaded:
                    try:
                        await self.memory.load()
                    except asyncio.CancelledError:
                        raise
                    except Exception as error:  # without memory it could repeat events: wait for it
                        loading.failed(error)
                        continue
                    loading.ok()
                if isinstance(observation, Trouble):
                    continue
                for change in self.changes(observation):
                    if change.key is not None and self.memory.seen(change.key):
                        continue
                    if change.payload is not None:
                        yield TriggerEvent(change.payload)
                    self.memory.hold(change.key, change.mark, with_mark=change.with_mark)
        finally:
            await cancel_and_wait(flusher)

    async def _flush_forever(self) -> None:
        writing = OnceLog(self.log, f"{self.describe()}: remembering emitted changes in {self.memory.store!r}")
        failures = 0
        while True:
            pause = backoff(failures, self.remember_after) if failures else min(max(self.remember_after / 2, 0.2), 5.0)
            await asyncio.sleep(pause)
            try:
                await self.memory.flush()
            except Exception as error:  # held keys stay held: the next flush writes them
                failures += 1
                writing.failed(error)
            else:
                failures = 0
                writing.ok()

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Watch forever, yielding one event per new change; with a ``problem``, log it once and stay idle."""
        if self.problem is not None:
            self.log.error(
                "%s cannot watch: %s. It emits nothing until the DAG is fixed.", type(self).__name__, self.problem
            )
            await asyncio.Event().wait()
        async for event in self.filter_shared_stream(self.observations()):
            yield event
