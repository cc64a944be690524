"""PostgreSQL LISTEN/NOTIFY: one listening connection per database wakes every wait on it.

Polling stays the fallback; a notification only cuts the current wait short so the check runs
at once. ``LISTENERS`` (a SharedPool) gives every trigger in the triggerer process that waits on
the same database the same :class:`Listener`, which holds one connection, LISTENs on every
channel its subscribers asked for, and sets a subscriber's event when a notification concerns
it. When the connection drops (a server restart, ``pg_terminate_backend``) the listener
reconnects with capped, jittered backoff and then wakes every subscriber, because notifications
sent while it was away are lost.

A subscription names the row keys it waits on (an order id, as text) and the JSON key that
carries them (``id_column``), or :data:`EVERY_NOTIFICATION` to be woken by anything on its
channel (a SQL query can depend on any row). A payload is read as a key (plain text, or a JSON
string or number) and wakes only the waits on that key; a JSON object is matched on its
``id_column`` key (and wakes every wait when it has none); an empty payload or other JSON (a
list) wakes every wait on the channel. Each notification is parsed once and dispatched through
an index (channel -> id column -> key -> subscriptions), so its cost does not grow with the
number of waits on the channel.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from triggers.shared import SharedPool, cancel_and_wait
from triggers.shared_source import begun
from triggers.sql.postgres import connect_kwargs
from triggers.sql.targets import PostgresTarget

LISTEN_APPLICATION = "deferrable-sensors-listen"
# A silently dropped network never closes the socket: the server is asked this often.
KEEPALIVE_SECONDS = 30.0
log = logging.getLogger(__name__)

#: ``keys`` of a subscription that every notification on its channel concerns.
EVERY_NOTIFICATION = None


def parse_payload(payload: str) -> Any:
    """Return a payload once parsed: its JSON value, its text when not JSON, or None (everyone) when empty."""
    text = payload.strip()
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text  # plain text: the key itself


def notified_key(parsed: Any, id_column: str) -> str | None:
    """Return the key a parsed payload names for waits keyed on ``id_column``, or None (everyone)."""
    if isinstance(parsed, dict):
        return str(parsed[id_column]) if id_column in parsed else None
    if isinstance(parsed, (str, int)) and not isinstance(parsed, bool):
        return str(parsed)
    return None


def concerns(payload: str, keys: Collection[str], id_column: str) -> bool:
    """Return True when a notification with ``payload`` may concern one of ``keys``: one wait's own parse.

    The listener dispatches through its index instead; this is the per-wait reading it replaced.
    """
    key = notified_key(parse_payload(payload), id_column)
    return key is None or key in keys


@dataclass(eq=False)
class NotifySubscription:
    """One wait's interest in ``keys`` on a channel (None: every notification), and the ``event`` a match sets."""

    channel: str
    keys: frozenset[str] | None
    id_column: str = "id"
    event: asyncio.Event = field(default_factory=asyncio.Event)
    #: the askings begun (``shared_source.begun()``) when a notification, or a (re)connection that
    #: may have missed some, last concerned it: its wait then takes only an answer asked later
    after: int = 0

    def notify(self) -> None:
        """Note a notification that concerns it, and set its event."""
        self.after = begun()
        self.event.set()


class _Index:
    """The subscriptions of one channel: by id column and then by key, and those woken by every notification."""

    __slots__ = ("by_column", "everyone", "unkeyed")

    def __init__(self) -> None:
        self.everyone: set[NotifySubscription] = set()
        self.unkeyed: set[NotifySubscription] = set()
        self.by_column: dict[str, dict[str, set[NotifySubscription]]] = {}

    def add(self, subscription: NotifySubscription) -> None:
        self.everyone.add(subscription)
        if subscription.keys is EVERY_NOTIFICATION:
            self.unkeyed.add(subscription)
            return
        keyed = self.by_column.setdefault(subscription.id_column, {})
        for key in subscription.keys:
            keyed.setdefault(key, set()).add(subscription)

    def discard(self, subscription: NotifySubscription) -> None:
        self.everyone.discard(subscription)
        if subscription.keys is EVERY_NOTIFICATION:
            self.unkeyed.discard(subscription)
            return
        keyed = self.by_column.get(subscription.id_column, {})
        for key in subscription.keys:
            holders = keyed.get(key)
            if holders is not None:
                holders.discard(subscription)
                if not holders:
                    del keyed[key]
        if not keyed:
            self.by_column.pop(subscription.id_column, None)

    def concerned(self, parsed: Any) -> Collection[NotifySubscription]:
        if not self.by_column:
            return self.unkeyed
        found = set(self.unkeyed)
        for id_column, keyed in self.by_column.items():
            key = notified_key(parsed, id_column)
            if key is None:
                return self.everyone
            found.update(keyed.get(key, ()))
        return found


class Listener:
    """Holds one LISTEN connection to ``target`` and fans notifications out to subscriptions."""

    def __init__(self, target: PostgresTarget, *, reconnect_base: float = 0.5, reconnect_cap: float = 30.0) -> None:
        self.target = target
        self._reconnect_base = reconnect_base
        self._reconnect_cap = reconnect_cap
        self._subscriptions: dict[str, _Index] = {}
        self._connection: Any = None
        self._listening: set[str] = set()
        # asyncpg allows one operation at a time per connection: LISTENs and keepalives take turns.
        self._lock = asyncio.Lock()
        #: Set while a connection is up and listening on every subscribed channel.
        self.ready = asyncio.Event()
        #: How many times a connection was established (1 plus the reconnections).
        self.connections = 0
        #: How many payloads were parsed (one per notification, whatever the number of waits).
        self.parsed = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> Listener:
        """Start connecting in the background; return self."""
        self._task = asyncio.ensure_future(self._run())
        return self

    async def close(self) -> None:
        """Stop listening and close the connection."""
        if self._task is not None:
            await cancel_and_wait(self._task)

    async def subscribe(
        self,
        channel: str,
        keys: Collection[str] | None,
        id_column: str = "id",
        event: asyncio.Event | None = None,
    ) -> NotifySubscription:
        """Return a subscription to ``keys`` on ``channel`` that sets ``event`` (a new one if None).

        ``keys`` None (:data:`EVERY_NOTIFICATION`): every notification on the channel sets it.
        LISTENs on the channel now when connected, else at the next connect.
        """
        wanted = None if keys is EVERY_NOTIFICATION else frozenset(keys)
        subscription = NotifySubscription(channel, wanted, id_column, event or asyncio.Event())
        self._subscriptions.setdefault(channel, _Index()).add(subscription)
        async with self._lock:
            connection = self._connection
            if connection is not None and channel not in self._listening:
                try:
                    await connection.add_listener(channel, self._on_notification)
                    self._listening.add(channel)
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                    # The connection is going away; the reconnect LISTENs on every channel.
                    log.debug("LISTEN %s on %s failed: %s", channel, self.target.describe(), error)
        return subscription

    def unsubscribe(self, subscription: NotifySubscription) -> None:
        """Forget ``subscription``; the channel stays listened to until the listener closes."""
        index = self._subscriptions.get(subscription.channel)
        if index is not None:
            index.discard(subscription)

    def _on_notification(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        index = self._subscriptions.get(channel)
        if index is None:
            return
        self.parsed += 1
        for subscription in tuple(index.concerned(parse_payload(payload))):
            subscription.notify()

    def _delay(self, failures: int) -> float:
        delay: float = min(self._reconnect_cap, self._reconnect_base * 2.0 ** min(failures - 1, 32))
        return delay * (1.0 - 0.2 * random.random())  # jitter: listeners do not reconnect in step

    async def _run(self) -> None:
        failures = 0
        while True:
            if failures:
                await asyncio.sleep(self._delay(failures))
            connections = self.connections
            try:
                await self._listen_until_lost()
                error: BaseException | None = None
            except asyncio.CancelledError:
                raise
            except Exception as raised:  # any failure is retried: polling covers the gap meanwhile
                error = raised
            # A connection that was up is retried soon; one that never came up backs off further.
            failures = 1 if self.connections > connections else failures + 1
            # Warn once per outage; the retries of a long one go to debug.
            level = logging.WARNING if failures == 1 else logging.DEBUG
            why = "closed" if error is None else f"{type(error).__name__}: {error}"
            log.log(level, "LISTEN connection to %s lost or refused (%s); retrying", self.target.describe(), why)

    async def _listen_until_lost(self) -> None:
        connection = await asyncpg.connect(**connect_kwargs(self.target, LISTEN_APPLICATION))
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        try:
            async with self._lock:
                for channel in tuple(self._subscriptions):
                    await connection.add_listener(channel, self._on_notification)
                    self._listening.add(channel)
                self._connection = connection
            self.connections += 1
            self.ready.set()
            log.info("Listening on %s for %s", self.target.describe(), ", ".join(sorted(self._listening)) or "-")
            for index in self._subscriptions.values():  # anything sent before LISTEN took effect was missed
                for subscription in index.everyone:
                    subscription.notify()
            while not connection.is_closed():
                try:
                    await asyncio.wait_for(lost.wait(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    async with self._lock:
                        await connection.execute("SELECT 1", timeout=KEEPALIVE_SECONDS)
        finally:
            self.ready.clear()
            self._connection = None
            self._listening = set()
            connection.terminate()


async def _open_listener(target: PostgresTarget) -> Listener:
    return Listener(target).start()


#: One listener per database per event loop, shared by every wait with a notify channel.
LISTENERS: SharedPool[PostgresTarget, Listener] = SharedPool(_open_listener, Listener.close)
