"""The seed's ML scenario in one event loop: every kind of check is a condition.

Behaviour logs (FileCheck), the catalog API's version (HttpCheck with a field expectation,
against sandbox.api_server on loopback), the inventory snapshot (JsonDateCheck) and, for good
measure, an order reaching "shipped" (the order-status check), fed on a scaled-down clock.
"""

import asyncio
import datetime
import json
import time

import pytest
from aiohttp import web

from sandbox.api_server import ApiSchedule, make_app
from sandbox.ml_data import feed_ml_data_sources, prepare
from triggers.cadence import Fixed
from triggers.checks import Check
from triggers.files import FileCheck
from triggers.gather import AllOf, AnyOf, GatherTrigger, JsonDateCheck
from triggers.http import HttpCheck
from triggers.orders import JsonOrderCheck


@pytest.fixture
async def catalog_url():
    """The mock API on a free loopback port: catalog version 99, then 100, 101... every 0.2 s."""
    runner = web.AppRunner(make_app(ApiSchedule(catalog_start=99, catalog_step=0.2)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/api/catalog"
    await runner.cleanup()


def sources(base, catalog_url: str) -> dict[str, Check]:
    return {
        "behaviour_logs": FileCheck(f"{base}/behavior/*.log", max_age=3600),
        "product_catalog": HttpCheck(catalog_url, fields=[("catalog.version", ">", 100)], request_timeout=2),
        "inventory_snapshot": JsonDateCheck(f"{base}/inventory/snapshot.json"),
        "order_shipped": JsonOrderCheck(order_ids=(1,), expected_status="shipped", db_path=str(base / "orders.json")),
    }


async def ship_order(path, delay: float) -> None:
    path.write_text(json.dumps([{"id": 1, "status": "pending"}]))
    await asyncio.sleep(delay)
    path.write_text(json.dumps([{"id": 1, "status": "shipped"}]))


async def wait_for(gather: AllOf | AnyOf, *, feed, within: float = 30.0):
    trigger = GatherTrigger(check=gather.to_dict(), cadence=Fixed(0.05).to_dict(), deadline=time.time() + within)
    feeding = asyncio.ensure_future(feed)
    try:
        return await trigger.make_loop().run()
    finally:
        feeding.cancel()


async def test_all_mode_waits_for_every_source(tmp_path, catalog_url) -> None:
    prepare(tmp_path)
    feed = asyncio.gather(
        feed_ml_data_sources(tmp_path, behaviour_delay=0.1, inventory_delay=0.6),
        ship_order(tmp_path / "orders.json", 0.3),
    )
    report = await wait_for(AllOf(sources(tmp_path, catalog_url)), feed=feed)
    assert report.outcome == "met", report.reason
    value = report.value
    assert value["behaviour_logs"]["count"] == 1
    assert value["product_catalog"]["json"]["catalog"]["version"] > 100
    assert value["inventory_snapshot"] == datetime.datetime.now(datetime.UTC).date().isoformat()
    assert "order_shipped" in value


async def test_any_mode_ends_with_the_first_source(tmp_path, catalog_url) -> None:
    prepare(tmp_path)
    feed = feed_ml_data_sources(tmp_path, behaviour_delay=0.1, inventory_delay=60)
    checks = sources(tmp_path, catalog_url)
    report = await wait_for(AnyOf({name: checks[name] for name in ("behaviour_logs", "inventory_snapshot")}), feed=feed)
    assert list(report.value) == ["behaviour_logs"]
    assert report.detail["conditions"]["inventory_snapshot"]["error"] == "MissingFileError"
