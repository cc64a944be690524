"""LISTEN/NOTIFY on this machine's PostgreSQL: waits wake at once, share one connection, survive a drop."""

import asyncio
import json
import logging
import time

import pytest

from tests.support.postgres import PostgresProxy
from tests.triggers.orders.tables import (
    CHANNEL,
    create_orders,
    set_status,
    terminate_and_await_replacement,
    wait_for_backends,
)
from triggers.cadence import Fixed
from triggers.orders import DbPollTrigger, SqlOrderCheck
from triggers.report import Report
from triggers.sql.listen import LISTEN_APPLICATION, Listener, concerns
from triggers.sql.targets import PostgresTarget

# Far beyond every wait here: a wait that ends met was woken by a notification, not by polling.
NO_POLL = 3600.0
CONN_ID = "orders_notify_pg"


@pytest.mark.parametrize(
    ("payload", "woken"),
    [
        pytest.param("", True, id="empty-wakes-all"),
        pytest.param("1", True, id="our-id"),
        pytest.param(" 1 ", True, id="our-id-padded"),
        pytest.param("2", False, id="other-id"),
        pytest.param('"A-1"', False, id="other-json-string"),
        pytest.param('{"id": 1, "status": "shipped"}', True, id="row-with-our-id"),
        pytest.param('{"id": 2}', False, id="row-with-other-id"),
        pytest.param('{"order": 2}', True, id="row-without-id-key"),
        pytest.param("[1, 2]", True, id="list-wakes-all"),
        pytest.param("order one changed", False, id="other-text"),
    ],
)
def test_which_notifications_concern_a_wait(payload, woken) -> None:
    assert concerns(payload, {"1", "3"}, "id") is woken


@pytest.fixture
async def notify_db(postgres_db, monkeypatch):
    await create_orders(postgres_db, notify=True)
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", postgres_db.airflow_uri)
    return postgres_db


def waiting_for(*order_ids, wait: float = 20.0) -> asyncio.Future[Report]:
    check = SqlOrderCheck(order_ids=order_ids, expected_status="shipped", conn_id=CONN_ID, notify_channel=CHANNEL)
    trigger = DbPollTrigger(check=check.to_dict(), cadence=Fixed(NO_POLL).to_dict(), deadline=time.time() + wait)
    return asyncio.ensure_future(trigger.make_loop().run())


@pytest.mark.postgres
async def test_a_notify_wakes_the_wait_at_once(notify_db) -> None:
    waiting = waiting_for(1)
    await wait_for_backends(notify_db, LISTEN_APPLICATION)
    await set_status(notify_db, 1, "shipped")  # the table's trigger sends NOTIFY order_status, '1'
    report = await waiting
    assert report.outcome == "met"
    assert report.value["status"] == "shipped"


@pytest.mark.postgres
async def test_a_notify_about_another_order_does_not_wake_the_wait(notify_db) -> None:
    waiting = waiting_for(1, wait=3.0)
    await wait_for_backends(notify_db, LISTEN_APPLICATION)
    await asyncio.sleep(0.2)  # let the wake-up that follows LISTEN pass
    await set_status(notify_db, 2, "shipped")
    report = await waiting
    assert report.outcome == "timeout"
    assert report.attempts == 2  # the first check, the re-check after LISTEN; none for order 2


@pytest.mark.postgres
async def test_one_listen_connection_per_database_serves_every_wait(notify_db) -> None:
    waits = [waiting_for(order_id) for order_id in (1, 2, 3) for _ in range(10)]
    await wait_for_backends(notify_db, LISTEN_APPLICATION, count=1)
    await asyncio.sleep(0.2)
    await wait_for_backends(notify_db, LISTEN_APPLICATION, count=1)  # still one, with all 30 subscribed
    await notify_db.execute("UPDATE orders SET status = 'shipped'")
    reports = await asyncio.gather(*waits)
    assert {report.outcome for report in reports} == {"met"}
    await wait_for_backends(notify_db, LISTEN_APPLICATION, count=0)  # closed with the last wait


@pytest.mark.postgres
async def test_the_listener_reconnects_after_its_backend_is_terminated(notify_db) -> None:
    waiting = waiting_for(1, wait=30.0)
    await terminate_and_await_replacement(notify_db, LISTEN_APPLICATION)
    await set_status(notify_db, 1, "shipped")
    report = await waiting
    assert report.outcome == "met"


@pytest.mark.postgres
async def test_a_json_row_payload_is_matched_on_the_id_column(notify_db) -> None:
    waiting = waiting_for(3)
    await wait_for_backends(notify_db, LISTEN_APPLICATION)
    await notify_db.execute("ALTER TABLE orders DISABLE TRIGGER orders_status_notify")
    await set_status(notify_db, 3, "shipped")
    await notify_db.execute(f"NOTIFY {CHANNEL}, '{json.dumps({'id': 2})}'")  # about another order: ignored
    await notify_db.execute(f"NOTIFY {CHANNEL}, '{json.dumps({'id': 3, 'status': 'shipped'})}'")
    assert (await waiting).outcome == "met"


@pytest.mark.postgres
async def test_a_listener_retries_a_refused_server_and_wakes_everyone_once_it_is_back(postgres_db, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="triggers.sql.listen")
    proxy = await PostgresProxy().start()
    await proxy.stop()  # the port is known and refuses connections: the server is down
    target = PostgresTarget(host="127.0.0.1", port=proxy.port, database=postgres_db.name, user="postgres")
    listener = Listener(target, reconnect_base=0.05, reconnect_cap=0.2).start()
    try:
        subscription = await listener.subscribe(CHANNEL, keys=())
        await asyncio.sleep(0.5)  # several refused attempts, backing off
        assert not listener.ready.is_set()
        assert listener.connections == 0
        levels = [r.levelno for r in caplog.records if "retrying" in r.getMessage()]
        assert levels[0] == logging.WARNING  # the outage, once
        assert set(levels[1:]) == {logging.DEBUG}  # its retries
        await proxy.start()  # the server is back
        await asyncio.wait_for(subscription.event.wait(), 10)  # woken: it may have missed a change
        assert listener.connections == 1
        await proxy.stop()  # a restart: the connection is cut...
        subscription.event.clear()
        await proxy.start()
        await asyncio.wait_for(subscription.event.wait(), 10)  # ...and re-established
        assert listener.connections == 2
    finally:
        await listener.close()
        await proxy.stop()


@pytest.mark.postgres
async def test_a_notification_is_parsed_once_and_wakes_only_the_waits_on_its_order(postgres_db) -> None:
    target = PostgresTarget(host="127.0.0.1", port=5432, database=postgres_db.name, user="postgres")
    listener = Listener(target).start()
    try:
        others = [await listener.subscribe(CHANNEL, keys=(str(n),)) for n in range(1000, 2000)]
        ours = [await listener.subscribe(CHANNEL, keys=("7", "8")) for _ in range(10)]
        by_row = await listener.subscribe(CHANNEL, keys=("7",), id_column="order_id")
        await asyncio.wait_for(listener.ready.wait(), 10)
        for subscription in [*others, *ours, by_row]:
            subscription.event.clear()  # woken by the connect: anything before LISTEN was missed
        parsed = listener.parsed
        await postgres_db.execute(f"NOTIFY {CHANNEL}, '7'")
        await asyncio.wait_for(asyncio.gather(*(s.event.wait() for s in [*ours, by_row])), 10)
        assert listener.parsed - parsed == 1
        assert [s for s in others if s.event.is_set()] == []
        await postgres_db.execute(f"NOTIFY {CHANNEL}, '{json.dumps({'order_id': 1500})}'")
        await asyncio.wait_for(others[500].event.wait(), 10)  # a row without an "id" key: every "id" wait wakes
        assert listener.parsed - parsed == 2
    finally:
        await listener.close()
