"""DbPollTrigger: takes order checks only, waits through a real file, keeps secrets out of everything."""

import asyncio
import json
import logging
import time

import pytest

from sandbox.ecommerce_db import set_status, ship_order_after, write_orders
from tests.support.checks import NeverCheck
from tests.triggers.orders import tables
from tests.triggers.orders.tables import CHANNEL, create_orders
from triggers.cadence import Fixed
from triggers.orders import DbPollTrigger, JsonOrderCheck, SqlOrderCheck
from triggers.report import Report


def json_trigger(db_path, *, wait: float = 10.0, **check) -> DbPollTrigger:
    spec = JsonOrderCheck(order_ids=(1,), expected_status="shipped", db_path=str(db_path), **check)
    return DbPollTrigger(check=spec.to_dict(), cadence=Fixed(0.02).to_dict(), deadline=time.time() + wait)


async def first_event(trigger: DbPollTrigger) -> Report:
    async for event in trigger.run():
        return Report.from_event(json.loads(json.dumps(event.payload)))
    raise AssertionError("no event")


def test_only_order_checks_are_accepted() -> None:
    problem = DbPollTrigger(check=NeverCheck().to_dict(), cadence=Fixed(1).to_dict()).problem
    assert problem is not None
    assert "argument 'check': check: DbPollTrigger takes" in problem


async def test_the_seeds_scenario_ends_met_with_the_shipped_order(tmp_path) -> None:
    write_orders(tmp_path)
    shipping = asyncio.ensure_future(ship_order_after(tmp_path, delay=0.3))
    report = await first_event(json_trigger(tmp_path))
    await shipping
    assert report.outcome == "met"
    assert report.value["id"] == 1
    assert report.value["status"] == "shipped"
    assert report.detail["orders"] == {"1": "shipped"}
    assert report.attempts > 1


async def test_a_wait_that_starts_before_the_database_exists_ends_met(tmp_path) -> None:
    db_path = tmp_path / "later"
    waiting = asyncio.ensure_future(first_event(json_trigger(db_path)))
    await asyncio.sleep(0.1)
    write_orders(db_path, [{"id": 1, "status": "shipped"}])
    assert (await waiting).outcome == "met"


async def test_a_file_that_stays_torn_fails_the_wait_with_the_reason(tmp_path) -> None:
    (tmp_path / "orders.json").write_text('[{"id": 1, "status": "ship')
    report = await first_event(json_trigger(tmp_path, max_parse_failures=4))
    assert report.outcome == "failed"
    assert "could not be parsed on 4 consecutive checks" in report.reason
    assert [a.error for a in report.history] == ["TornFileError"] * 3 + ["PermanentError"]


async def test_status_changes_are_logged_once_each_and_repeats_only_at_debug(tmp_path, caplog) -> None:
    write_orders(tmp_path)
    set_status(tmp_path, 1, "processing")
    loop = json_trigger(tmp_path).make_loop()
    loop.log = logging.getLogger("test.orders")
    caplog.set_level(logging.DEBUG, logger="test.orders")
    logged = asyncio.Event()

    class Notify(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            logged.set()

    async def seen(text: str) -> None:
        while not any(text in r.getMessage() for r in caplog.records):
            logged.clear()
            await logged.wait()

    loop.log.addHandler(Notify())

    async def move_order() -> None:
        await seen("attempt 3: not_yet")  # a few repeats first
        set_status(tmp_path, 1, "packed")
        await seen("'packed'), attempt")
        set_status(tmp_path, 1, "shipped")

    mover = asyncio.ensure_future(move_order())
    report = await loop.run()
    mover.cancel()
    assert report.outcome == "met"
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert len(info) == 3, info
    assert info[0].endswith(": not yet (order 1 is 'processing'), attempt 1")
    assert "not yet (order 1 is 'packed')" in info[1]
    assert "met on attempt" in info[2]
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert any("attempt 3: not_yet order 1 is 'processing'" in m for m in debug)


@pytest.mark.postgres
async def test_no_password_reaches_kwargs_events_or_logs(postgres_db, monkeypatch, caplog) -> None:
    password = "s3cret-Pa55word"
    await create_orders(postgres_db, notify=True)
    monkeypatch.setenv("AIRFLOW_CONN_SECRET_PG", postgres_db.airflow_uri.replace("postgres@", f"postgres:{password}@"))
    check = SqlOrderCheck(order_ids=(1, 3), expected_status="shipped", conn_id="secret_pg", notify_channel=CHANNEL)
    trigger = DbPollTrigger(check=check.to_dict(), cadence=Fixed(0.05).to_dict(), deadline=time.time() + 20)
    caplog.set_level(logging.DEBUG)
    waiting = asyncio.ensure_future(first_event(trigger))
    await asyncio.sleep(0.3)
    await tables.set_status(postgres_db, 1, "shipped")
    await tables.set_status(postgres_db, 3, "refunded")
    report = await waiting
    assert report.outcome == "failed"
    assert "order 3 is 'refunded'" in report.reason
    assert password not in json.dumps(trigger.serialize())
    assert password not in json.dumps(report.to_event())
    assert password not in caplog.text
