"""Waits on one orders.json share one read and parse per look, on real files.

Each wait judges its own orders in the same read; a torn file reaches every wait and each fails
after its own max_parse_failures; share_probe=False reads alone.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sandbox.ecommerce_db import set_status, write_orders
from triggers.cadence import Fixed
from triggers.orders import DbPollTrigger, JsonOrderCheck
from triggers.report import Report
from triggers.shared_source import SOURCES, SharedSource, SourceKey

ORDERS = [{"id": i, "status": "pending"} for i in range(1, 101)]


def check(db_path, order_id: int, **kwargs) -> JsonOrderCheck:
    return JsonOrderCheck(order_ids=(order_id,), expected_status="shipped", db_path=str(db_path), **kwargs)


def trigger(c: JsonOrderCheck, every: float = 0.1) -> DbPollTrigger:
    return DbPollTrigger(check=c.to_dict(), cadence=Fixed(every).to_dict())


async def report_of(t: DbPollTrigger) -> Report:
    return Report.from_event((await anext(aiter(t.run()))).payload)


@asynccontextmanager
async def source_of(c: JsonOrderCheck) -> AsyncIterator[SharedSource]:
    """Hold the check's shared source too (first, so with the check's own ask), to read how often it was asked."""
    async with SOURCES.lease(SourceKey(c.source_key(), lambda _resources, _interests: c.rows())) as source:
        yield source


async def test_a_hundred_waits_on_one_file_share_each_read_and_each_sees_its_own_order(tmp_path) -> None:
    write_orders(tmp_path, ORDERS)
    checks = [check(tmp_path, i) for i in range(1, 101)]
    async with source_of(checks[0]) as source:
        waits = [asyncio.ensure_future(report_of(trigger(c))) for c in checks]
        await asyncio.sleep(0.5)
        for order_id in range(1, 101, 2):
            set_status(tmp_path, order_id, "shipped")
        met = await asyncio.wait_for(asyncio.gather(*waits[::2]), 5)  # orders 1, 3, 5, ...
        asked = source.asked
        assert [r.value["id"] for r in met] == list(range(1, 101, 2))  # each met by its own order
        assert not any(w.done() for w in waits[1::2])
        for w in waits[1::2]:
            w.cancel()
        await asyncio.gather(*waits[1::2], return_exceptions=True)
    # about 6 ticks of 0.1 s plus a read per joining wait at most: 100 waits alone would read 600 times
    assert asked <= 100 + 20, asked
    assert SOURCES.live() == 0


async def test_every_wait_fails_after_its_own_max_parse_failures_on_a_torn_file(tmp_path) -> None:
    (tmp_path / "orders.json").write_text('[{"id": 1, "status": "pen')
    quick, patient = check(tmp_path, 1, max_parse_failures=2), check(tmp_path, 2, max_parse_failures=6)
    assert quick.source_key() == patient.source_key()
    reports = await asyncio.wait_for(asyncio.gather(report_of(trigger(quick)), report_of(trigger(patient))), 10)
    assert [(r.outcome, r.attempts) for r in reports] == [("failed", 2), ("failed", 6)]
    assert all("could not be parsed" in r.reason for r in reports)


async def test_share_probe_false_reads_alone_and_differing_keys_do_not_share(tmp_path) -> None:
    write_orders(tmp_path, ORDERS)
    alone = check(tmp_path, 1, share_probe=False)
    other_key = check(tmp_path, 1, status_column="state")
    assert other_key.source_key() != check(tmp_path, 1).source_key()
    async with alone.opened() as probe:
        assert SOURCES.live() == 0
        assert (await probe.check()).kind == "not_yet"
    (tmp_path / "orders.json").write_text(json.dumps([{"id": 1, "status": "shipped"}]))
    async with check(tmp_path, 1).opened() as first, other_key.opened() as second:
        assert SOURCES.live() == 2
        assert (await first.check()).kind == "met"
        assert (await second.check()).kind == "not_yet"  # no "state" key in its record
