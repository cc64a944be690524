"""What an event watcher has emitted, remembered durably so a rebuilt watcher does not emit it again.

An emitted change's idempotency key is *held* when its event is yielded and written to the store
(the watched asset's state store where the triggerer injects one, else a Variable named after the
watcher) ``remember_after`` seconds later. Why wait: the runner hands a yielded event to its
supervisor on the next state sync (about a second), which stores it after that; a key written at
once could be durable while a kill loses its event. Written later, the worst is a repeat (README
"Event-driven DAGs"). The stored JSON: ``{"version": 1, "emitted": {key: epoch seconds},
"mark": <latest mark or null>}``, the newest :data:`MAX_REMEMBERED` keys; ``mark`` is what a
watcher needs beyond keys (the HTTP watcher's last announced health).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, Protocol

from triggers.compat import call_sdk

#: The asset state store key (and the Variable value) that holds a watcher's memory.
STATE_KEY = "deferrable_sensors.emitted"
MEMORY_VERSION = 1
#: How many idempotency keys a watcher remembers; older ones are forgotten first.
MAX_REMEMBERED = 2000


class StateStore(Protocol):
    """Where a memory lives: one JSON value, read and written whole."""

    async def read(self) -> Any: ...
    async def write(self, value: Any) -> None: ...


class AssetStateStore:
    """One key of the watched asset's state store (Airflow 3.3); ValueError when the trigger watches several."""

    def __init__(self, accessors: Any) -> None:
        self._accessors = accessors

    def __repr__(self) -> str:
        return f"asset state store {self._accessors!r}"

    async def read(self) -> Any:
        return await self._accessors.aget(STATE_KEY, None)

    async def write(self, value: Any) -> None:
        await self._accessors.aset(STATE_KEY, value)


class VariableStateStore:
    """An Airflow Variable holding the memory as JSON (sync SDK calls, in a thread as in a triggerer)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __repr__(self) -> str:
        return f"Variable {self.key!r}"

    async def read(self) -> Any:
        from airflow.sdk import Variable

        raw = await call_sdk(Variable.get, self.key, None)
        return None if raw is None else json.loads(raw)

    async def write(self, value: Any) -> None:
        from airflow.sdk import Variable

        await call_sdk(Variable.set, self.key, json.dumps(value, separators=(",", ":")))


class PreferredStore:
    """The asset state store, or the fallback when the trigger watches several assets (Airflow then refuses)."""

    def __init__(self, preferred: StateStore, fallback: StateStore) -> None:
        self.preferred: StateStore | None = preferred
        self.fallback = fallback

    def __repr__(self) -> str:
        return repr(self.preferred if self.preferred is not None else self.fallback)

    async def read(self) -> Any:
        if self.preferred is not None:
            try:
                return await self.preferred.read()
            except ValueError:  # several watched assets: Airflow's accessor needs the asset named
                self.preferred = None
        return await self.fallback.read()

    async def write(self, value: Any) -> None:
        await (self.preferred if self.preferred is not None else self.fallback).write(value)


class Memory:
    """The emitted keys of one watcher: durable ones (loaded, flushed) and held ones (yielded, not yet written)."""

    def __init__(
        self,
        store: StateStore,
        *,
        remember_after: float,
        limit: int = MAX_REMEMBERED,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.remember_after = remember_after
        self.limit = limit
        self.clock = clock
        self.loaded = False
        self._durable: dict[str, float] = {}
        self._durable_mark: Any = None
        self._held: dict[str, float] = {}
        self._held_mark: tuple[float, Any] | None = None

    async def load(self) -> None:
        """Read the store; a missing or unreadable-as-memory value starts empty. Raises what the store raises."""
        value = await self.store.read()
        if isinstance(value, dict) and value.get("version") == MEMORY_VERSION:
            emitted = value.get("emitted")
            if isinstance(emitted, dict):
                self._durable = self._newest(
                    {str(k): float(v) for k, v in emitted.items() if isinstance(v, (int, float))}
                )
            self._durable_mark = value.get("mark")
        self.loaded = True

    def _newest(self, emitted: dict[str, float]) -> dict[str, float]:
        if len(emitted) > self.limit:
            emitted = dict(sorted(emitted.items(), key=lambda item: item[1])[-self.limit :])
        return emitted

    def seen(self, key: str) -> bool:
        """Return True when ``key`` was emitted (durably remembered, or held for writing)."""
        return key in self._durable or key in self._held

    @property
    def mark(self) -> Any:
        """Return the newest mark, held or durable."""
        return self._held_mark[1] if self._held_mark is not None else self._durable_mark

    def hold(self, key: str | None, mark: Any = None, *, with_mark: bool = False) -> None:
        """Record that the event of ``key`` was just yielded (and ``mark``, when ``with_mark``)."""
        now = self.clock()
        if key is not None:
            self._held.setdefault(key, now)
        if with_mark:
            self._held_mark = (now, mark)

    async def flush(self) -> int:
        """Write the held keys and mark that have waited ``remember_after``; return how many keys became durable.

        Writes nothing when none is due. Raises what the store raises; the keys then stay held.
        """
        now = self.clock()
        ready = {key: at for key, at in self._held.items() if now - at >= self.remember_after}
        mark_ready = self._held_mark is not None and now - self._held_mark[0] >= self.remember_after
        if not ready and not mark_ready:
            return 0
        durable = self._newest({**self._durable, **ready})
        mark = self._held_mark[1] if mark_ready and self._held_mark is not None else self._durable_mark
        await self.store.write({"version": MEMORY_VERSION, "emitted": durable, "mark": mark})
        self._durable, self._durable_mark = durable, mark
        for key in ready:
            self._held.pop(key, None)
        if mark_ready:
            self._held_mark = None
        return len(ready)
