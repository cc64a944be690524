"""PostgreSQL LISTEN/NOTIFY: one listening connection per database wakes every wait on it.

Polling stays the fallback; a notification only cuts the current wait short so the check runs
at once. ``LISTENERS`` (a SharedPool) gives every trigger in the triggerer process that waits on
the same database the same :class:`Listener`, which holds one connection, LISTENs on every
channel its subscribers asked for, and sets a subscriber's event when a notification concerns
it (each subscription says which payloads do). When the connection drops (a server restart,
``pg_terminate_backend``) the listener reconnects with capped, jittered backoff and then wakes
every subscriber, because notifications sent while it was away are lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from triggers.shared import SharedPool
from triggers.sql.postgres import connect_kwargs
from triggers.sql.targets import PostgresTarget

LISTEN_APPLICATION = "deferrable-sensors-listen"
log = logging.getLogger(__name__)

Connect = Callable[..., Awaitable[Any]]


@dataclass(eq=False)
class Subscription:
    """One wait's interest in a channel: ``event`` is set when a notification concerns it."""

    channel: str
    wants: Callable[[str], bool]
    event: asyncio.Event = field(default_factory=asyncio.Event)


class Listener:
    """Holds one LISTEN connection to ``target`` and fans notifications out to subscriptions."""

    def __init__(
        self,
        target: PostgresTarget,
        *,
        connect: Connect = asyncpg.connect,
        keepalive: float = 30.0,
        reconnect_base: float = 0.5,
        reconnect_cap: float = 30.0,
        rng: random.Random | None = None,
    ) -> None:
        self.target = target
        self._connect = connect
        self._keepalive = keepalive
        self._reconnect_base = reconnect_base
        self._reconnect_cap = reconnect_cap
        self._rng = rng or random.Random()
        self._subscriptions: dict[str, set[Subscription]] = {}
        self._connection: Any = None
        self._listening: set[str] = set()
        # asyncpg allows one operation at a time per connection: LISTENs and keepalives take turns.
        self._lock = asyncio.Lock()
        #: Set while a connection is up and listening on every subscribed channel.
        self.ready = asyncio.Event()
        #: How many times a connection was established (1 plus the reconnections).
        self.connections = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> Listener:
        """Start connecting in the background; return self."""
        self._task = asyncio.ensure_future(self._run())
        return self

    async def close(self) -> None:
        """Stop listening and close the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def subscribe(
        self, channel: str, wants: Callable[[str], bool], event: asyncio.Event | None = None
    ) -> Subscription:
        """Return a subscription to ``channel`` that sets ``event`` (a new one if None).

        LISTENs on the channel now when connected, else at the next connect.
        """
        subscription = Subscription(channel, wants, event or asyncio.Event())
        self._subscriptions.setdefault(channel, set()).add(subscription)
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

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget ``subscription``; the channel stays listened to until the listener closes."""
        self._subscriptions.get(subscription.channel, set()).discard(subscription)

    def _on_notification(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        for subscription in tuple(self._subscriptions.get(channel, ())):
            if subscription.wants(payload):
                subscription.event.set()

    def _wake_all(self) -> None:
        for subscriptions in self._subscriptions.values():
            for subscription in subscriptions:
                subscription.event.set()

    def _delay(self, failures: int) -> float:
        delay: float = min(self._reconnect_cap, self._reconnect_base * 2.0 ** min(failures - 1, 32))
        return delay * (1.0 - 0.2 * self._rng.random())  # jitter: listeners do not reconnect in step

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
        connection = await self._connect(**connect_kwargs(self.target, LISTEN_APPLICATION))
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
            self._wake_all()  # anything sent before LISTEN took effect was missed
            while not connection.is_closed():
                try:
                    await asyncio.wait_for(lost.wait(), self._keepalive)
                except asyncio.TimeoutError:
                    # A silently dropped network never closes the socket: ask the server.
                    async with self._lock:
                        await connection.execute("SELECT 1", timeout=self._keepalive)
        finally:
            self.ready.clear()
            self._connection = None
            self._listening = set()
            connection.terminate()


async def _open_listener(target: PostgresTarget) -> Listener:
    return Listener(target).start()


async def _close_listener(listener: Listener) -> None:
    await listener.close()


#: One listener per database per event loop, shared by every wait with a notify channel.
LISTENERS: SharedPool[PostgresTarget, Listener] = SharedPool(_open_listener, _close_listener)
