"""PostgreSQL LISTEN/NOTIFY: one listening connection per database wakes every wait on it.

Polling stays the fallback; a notification only cuts the current wait short so the check runs
at once. ``LISTENERS`` (a SharedPool) gives every trigger in the triggerer process that waits on
the same database the same :class:`Listener`, which holds one connection, LISTENs on every
channel its subscribers asked for, and sets a subscriber's event when a notification concerns
one of its orders. When the connection drops (a server restart, ``pg_terminate_backend``) the
listener reconnects with capped, jittered backoff and then wakes every subscriber, because
notifications sent while it was away are lost.

The table needs a trigger that sends the order id on the channel after each status change
(PostgreSQL 11 or later); :func:`notify_trigger_sql` returns it (see docs/orders.md)::

    CREATE OR REPLACE FUNCTION orders_notify_status() RETURNS trigger AS $$
    BEGIN
      PERFORM pg_notify('order_status', NEW.id::text);
      RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;

    DROP TRIGGER IF EXISTS orders_status_notify ON orders;
    CREATE TRIGGER orders_status_notify
    AFTER INSERT OR UPDATE OF status ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_notify_status();

A payload is read as an order id (plain text, or a JSON string or number) and wakes only the
waits on that order; a JSON object is matched on its id-column key (and wakes every wait when it
has none); an empty payload or other JSON (a list) wakes every wait on the channel.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from triggers.orders.postgres_store import connect_kwargs
from triggers.orders.sql import PostgresTarget, validate_identifier
from triggers.shared import SharedPool, cancel_and_wait

LISTEN_APPLICATION = "deferrable-sensors-listen"
log = logging.getLogger(__name__)

Connect = Callable[..., Awaitable[Any]]


def notify_trigger_sql(table: str, channel: str, id_column: str = "id", status_column: str = "status") -> str:
    """Return the SQL that makes ``table`` send ``NEW.<id_column>`` on ``channel`` after each status change."""
    validate_identifier("table", table, qualified=True)
    for argument, name in (("notify_channel", channel), ("id_column", id_column), ("status_column", status_column)):
        validate_identifier(argument, name)
    base = table.rsplit(".", 1)[-1]
    return f"""CREATE OR REPLACE FUNCTION {table}_notify_status() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('{channel}', NEW.{id_column}::text);
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS {base}_status_notify ON {table};
CREATE TRIGGER {base}_status_notify
AFTER INSERT OR UPDATE OF {status_column} ON {table}
FOR EACH ROW EXECUTE FUNCTION {table}_notify_status();
"""


def concerns(payload: str, order_keys: Collection[str], id_column: str) -> bool:
    """Return True when a notification with ``payload`` may concern one of ``order_keys``."""
    text = payload.strip()
    if not text:
        return True
    try:
        value = json.loads(text)
    except ValueError:
        return text in order_keys
    if isinstance(value, dict):
        return id_column not in value or str(value[id_column]) in order_keys
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value) in order_keys
    return True


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
            await cancel_and_wait(self._task)

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
