"""OrderEventTrigger: one event per order entering a watched status, from the JSON file and from PostgreSQL NOTIFY."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.postgres import PostgresDatabase
from tests.support.state_store import AssetStateStoreFake
from tests.triggers.events.watching import Collector, eventually
from tests.triggers.orders.tables import CHANNEL, create_orders, set_status
from triggers.events import OrderEventTrigger
from triggers.events.memory import STATE_KEY
from triggers.orders import JsonOrderCheck, SqlOrderCheck
from triggers.sql.listen import LISTEN_APPLICATION


def write_orders(db: Path, *orders: dict[str, Any]) -> None:
    temp = db / ".orders.json.tmp"
    temp.write_text(json.dumps({"orders": list(orders)}))
    temp.replace(db / "orders.json")


def order(order_id: int, status: str, updated: str) -> dict[str, Any]:
    return {"id": order_id, "status": status, "updated_at": updated}


def json_watcher(db: Path, store: AssetStateStoreFake, **kwargs: Any) -> OrderEventTrigger:
    check = JsonOrderCheck(order_ids=(1, 2), expected_status="shipped", db_path=str(db))
    trigger = OrderEventTrigger(check=check.to_dict(), interval=0.05, remember_after=0.05, **kwargs)
    trigger.asset_state_store = store
    return trigger


async def test_each_entry_into_a_watched_status_is_one_event_with_the_record(tmp_path: Path) -> None:
    write_orders(tmp_path, order(1, "pending", "t0"), order(2, "pending", "t0"))
    async with Collector(json_watcher(tmp_path, AssetStateStoreFake(), statuses=["shipped", "delivered"])) as seen:
        await asyncio.sleep(0.2)
        write_orders(tmp_path, order(1, "shipped", "t1"), order(2, "pending", "t0"))
        await seen.until(1)
        write_orders(tmp_path, order(1, "delivered", "t2"), order(2, "shipped", "t2"))
        await seen.until(3)
        await asyncio.sleep(0.3)  # many more polls of the same statuses: no repeats
    assert [(e["order_id"], e["status"]) for e in seen.events] == [(1, "shipped"), (1, "delivered"), (2, "shipped")]
    first = seen.events[0]
    assert first["key"] == "1|shipped|t1"
    assert first["record"] == {"id": 1, "status": "shipped", "updated_at": "t1"}


async def test_leaving_and_reentering_a_status_is_a_new_change_when_the_update_time_moves(tmp_path: Path) -> None:
    write_orders(tmp_path, order(1, "shipped", "t1"))
    async with Collector(json_watcher(tmp_path, AssetStateStoreFake())) as seen:
        await seen.until(1)
        write_orders(tmp_path, order(1, "returned", "t2"))
        await asyncio.sleep(0.2)
        write_orders(tmp_path, order(1, "shipped", "t3"))
        events = await seen.until(2)
    assert [e["key"] for e in events] == ["1|shipped|t1", "1|shipped|t3"]


async def test_a_rebuilt_watcher_skips_what_it_emitted(tmp_path: Path) -> None:
    store = AssetStateStoreFake()
    write_orders(tmp_path, order(1, "shipped", "t1"))
    async with Collector(json_watcher(tmp_path, store)) as first:
        await first.until(1)
        await eventually(lambda: "1|shipped|t1" in store.values.get(STATE_KEY, {}).get("emitted", {}), 5, "remembered")
    write_orders(tmp_path, order(1, "shipped", "t1"), order(2, "shipped", "t5"))  # while no watcher ran
    async with Collector(json_watcher(tmp_path, store)) as rebuilt:
        await rebuilt.until(1)
        await asyncio.sleep(0.3)
    assert [e["key"] for e in rebuilt.events] == ["2|shipped|t5"]


async def test_a_torn_file_is_retried_and_the_watcher_recovers(tmp_path: Path) -> None:
    (tmp_path / "orders.json").write_text('{"orders": [{"id": 1, "sta')
    async with Collector(json_watcher(tmp_path, AssetStateStoreFake())) as seen:
        await asyncio.sleep(0.3)
        write_orders(tmp_path, order(1, "shipped", "t1"))
        events = await seen.until(1, timeout=15)
    assert events[0]["key"] == "1|shipped|t1"


@pytest.mark.postgres
async def test_a_notify_announces_the_transition_without_polling(
    postgres_db: PostgresDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    await create_orders(postgres_db, notify=True)
    monkeypatch.setenv("AIRFLOW_CONN_EVENTS_ORDERS_PG", postgres_db.airflow_uri)
    check = SqlOrderCheck(order_ids=(1,), expected_status="shipped", conn_id="events_orders_pg", notify_channel=CHANNEL)
    trigger = OrderEventTrigger(check=check.to_dict(), updated_column=None, interval=3600, remember_after=0.05)
    trigger.asset_state_store = AssetStateStoreFake()
    async with Collector(trigger) as seen:
        await eventually(lambda: _listening(postgres_db), 10, "the LISTEN connection")
        await asyncio.sleep(0.2)
        await set_status(postgres_db, 1, "shipped")
        events = await seen.until(1)
    assert events[0]["key"] == "1|shipped|"
    assert events[0]["record"]["customer_id"] == 101


async def _listening(database: PostgresDatabase) -> bool:
    rows = await database.connect()
    try:
        found = await rows.fetch("SELECT pid FROM pg_stat_activity WHERE application_name = $1", LISTEN_APPLICATION)
    finally:
        await rows.close()
    return bool(found)
