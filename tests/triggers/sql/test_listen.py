"""One LISTEN connection shared by keyed waits (orders) and waits on every notification (SQL queries)."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.postgres import PostgresDatabase
from triggers.sql.listen import EVERY_NOTIFICATION, Listener
from triggers.sql.targets import PostgresTarget

pytestmark = pytest.mark.postgres

CHANNEL = "rows_changed"


async def test_a_wait_on_every_notification_shares_the_channel_with_keyed_waits(
    postgres_db: PostgresDatabase,
) -> None:
    target = PostgresTarget(host="127.0.0.1", port=5432, database=postgres_db.name, user="postgres")
    listener = Listener(target).start()
    try:
        queries = [await listener.subscribe(CHANNEL, EVERY_NOTIFICATION) for _ in range(3)]
        order_7 = await listener.subscribe(CHANNEL, keys=("7",))
        await asyncio.wait_for(listener.ready.wait(), 10)
        for subscription in [*queries, order_7]:
            subscription.event.clear()  # woken by the connect: anything before LISTEN was missed
        parsed = listener.parsed
        await postgres_db.execute(f"NOTIFY {CHANNEL}, '8'")
        await asyncio.wait_for(asyncio.gather(*(s.event.wait() for s in queries)), 10)
        assert not order_7.event.is_set()  # another order's key: the keyed wait sleeps on
        assert listener.parsed - parsed == 1
        listener.unsubscribe(order_7)  # only waits on every notification are left
        for subscription in queries:
            subscription.event.clear()
        await postgres_db.execute(f"NOTIFY {CHANNEL}, '{{\"id\": 7}}'")
        await asyncio.wait_for(asyncio.gather(*(s.event.wait() for s in queries)), 10)
        assert not order_7.event.is_set()
        assert listener.parsed - parsed == 2
    finally:
        await listener.close()
