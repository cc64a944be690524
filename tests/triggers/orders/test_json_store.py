"""The seed's mock database on real files: layouts, and every way the file can be not ready or broken."""

import json
import threading
import time

import pytest

from sandbox.ecommerce_db import SEED_ORDERS, set_status, write_orders
from triggers.checks import check_once
from triggers.orders import JsonOrderCheck
from triggers.outcomes import Failed, Met, NotYet, Outcome
from triggers.wait_state import WaitState


def order_check(db_path, *order_ids, expected="shipped", **kwargs) -> JsonOrderCheck:
    return JsonOrderCheck(order_ids=order_ids or (1,), expected_status=expected, db_path=str(db_path), **kwargs)


async def look(check: JsonOrderCheck):
    return await check_once(check, timeout=5.0)


async def looks(check: JsonOrderCheck, times: int, state: WaitState | None = None) -> list[Outcome]:
    """Check ``times`` times as a wait does: each outcome escalated with the run its wait state counts."""
    state = state if state is not None else WaitState(limit=20)
    outcomes = []
    for _ in range(times):
        outcome = await look(check)
        outcome = check.escalate(outcome, state.repeats_with(outcome))
        state.record(outcome, 0.0, time.time())
        outcomes.append(outcome)
    return outcomes


async def test_the_seeds_file_is_read_and_order_1_waits_until_shipped(tmp_path) -> None:
    write_orders(tmp_path)
    check = order_check(tmp_path)
    assert (await look(check)).reason.startswith("order 1 is 'pending'")
    set_status(tmp_path, 1, "shipped")
    outcome = await look(check)
    assert isinstance(outcome, Met)
    assert outcome.value["id"] == 1
    assert outcome.value["status"] == "shipped"
    assert "shipped_at" in outcome.value


async def test_the_orders_object_layout_is_read_too(tmp_path) -> None:
    (tmp_path / "orders.json").write_text(json.dumps({"orders": [{"id": 2, "status": "shipped", "total": 149.5}]}))
    assert (await look(order_check(tmp_path, 2))).value == {"id": 2, "status": "shipped", "total": 149.5}


async def test_db_path_may_name_the_json_file_itself(tmp_path) -> None:
    path = tmp_path / "shop.json"
    path.write_text(json.dumps([{"id": 1, "status": "shipped"}]))
    assert isinstance(await look(order_check(path)), Met)


@pytest.mark.parametrize(
    ("subdir", "error"),
    [
        pytest.param("not-created-yet", "MissingFileError", id="missing-directory"),
        pytest.param("", "MissingFileError", id="missing-file"),
    ],
)
async def test_a_missing_database_is_not_yet_until_it_appears(tmp_path, subdir, error) -> None:
    db_path = tmp_path / subdir
    check = order_check(db_path, expected="pending")
    outcome = await look(check)
    assert isinstance(outcome, NotYet)
    assert outcome.error == error
    write_orders(db_path)
    assert isinstance(await look(check), Met)


@pytest.mark.parametrize(
    ("content", "error"),
    [
        pytest.param("", "TornFileError", id="empty"),
        pytest.param('[\n  {\n    "id": 1,\n    "customer_id": 101,\n    "sta', "TornFileError", id="half-written"),
        pytest.param('{"orders": {"id": 1}}', "InvalidLayoutError", id="orders-not-a-list"),
        pytest.param("[1, 2, 3]", "InvalidLayoutError", id="list-of-numbers"),
        pytest.param('"shipped"', "InvalidLayoutError", id="a-string"),
    ],
)
async def test_an_unparsable_file_is_a_transient_not_yet(tmp_path, content, error) -> None:
    (tmp_path / "orders.json").write_text(content)
    outcome = await look(order_check(tmp_path))
    assert isinstance(outcome, NotYet)
    assert outcome.error == error


async def test_a_file_that_stays_invalid_fails_after_max_parse_failures_in_a_row(tmp_path) -> None:
    (tmp_path / "orders.json").write_text('[{"id": 1, "sta')
    check = order_check(tmp_path, max_parse_failures=3)
    outcomes = await looks(check, 3)
    assert [o.kind for o in outcomes] == ["not_yet", "not_yet", "failed"]
    assert outcomes[-1].reason.startswith(f"{tmp_path / 'orders.json'} could not be parsed on 3 consecutive checks")
    assert "not valid JSON" in outcomes[-1].reason


async def test_a_good_read_resets_the_parse_failure_count(tmp_path) -> None:
    path = tmp_path / "orders.json"
    check = order_check(tmp_path, max_parse_failures=2)
    state = WaitState(limit=20)
    for content in ("[{", json.dumps(SEED_ORDERS), "[{", json.dumps(SEED_ORDERS), "[{"):
        path.write_text(content)
        assert not isinstance((await looks(check, 1, state))[0], Failed)


async def test_a_missing_file_resets_the_parse_failure_count(tmp_path) -> None:
    path = tmp_path / "orders.json"
    check = order_check(tmp_path, max_parse_failures=2)
    state = WaitState(limit=20)
    path.write_text("[{")
    await looks(check, 1, state)
    path.unlink()
    await looks(check, 1, state)
    path.write_text("[{")
    assert (await looks(check, 1, state))[0].error == "TornFileError"


async def test_an_absent_order_is_not_yet_naming_it(tmp_path) -> None:
    write_orders(tmp_path)
    outcome = await look(order_check(tmp_path, 7))
    assert outcome == NotYet("order 7 not found", detail=outcome.detail)
    assert outcome.detail["missing"] == ["7"]


async def test_a_record_without_a_status_is_not_yet(tmp_path) -> None:
    write_orders(tmp_path, [{"id": 1, "customer_id": 101}])
    outcome = await look(order_check(tmp_path))
    assert isinstance(outcome, NotYet)
    assert "order 1 has no status yet" in outcome.reason
    assert outcome.error is None


async def test_a_cancelled_order_fails_at_once_with_the_order_in_the_message(tmp_path) -> None:
    write_orders(tmp_path)
    set_status(tmp_path, 3, "cancelled")
    outcome = await look(order_check(tmp_path, 3))
    assert isinstance(outcome, Failed)
    assert "order 3 is 'cancelled'" in outcome.reason
    assert '"customer_id": 103' in outcome.reason


async def test_quotes_and_sql_in_a_status_are_plain_text(tmp_path) -> None:
    status = "shipped\"'); DROP TABLE orders; --"
    write_orders(tmp_path, [{"id": 1, "status": status}])
    assert isinstance(await look(order_check(tmp_path)), NotYet)
    assert (await look(order_check(tmp_path, expected=status))).value == {"id": 1, "status": status}


async def test_custom_id_and_status_keys(tmp_path) -> None:
    write_orders(tmp_path, [{"order_no": "A-1", "state": "shipped"}])
    check = order_check(tmp_path, "A-1", id_column="order_no", status_column="state")
    assert isinstance(await look(check), Met)


async def test_several_orders_all_must_reach_the_status(tmp_path) -> None:
    write_orders(tmp_path)
    check = order_check(tmp_path, 1, 2)
    set_status(tmp_path, 1, "shipped")
    outcome = await look(check)
    assert outcome.detail["orders"] == {"1": "shipped", "2": "processing"}
    set_status(tmp_path, 2, "shipped")
    assert [record["id"] for record in (await look(check)).value] == [1, 2]


async def test_reading_while_the_seeds_updater_rewrites_in_place_never_crashes(tmp_path) -> None:
    write_orders(tmp_path, [*SEED_ORDERS, *({"id": n, "status": "pending", "note": "x" * 500} for n in range(4, 400))])
    stop = threading.Event()

    def rewrite() -> None:  # the seed's updater: open(path, "w") then json.dump, over and over
        statuses = ("pending", "processing")
        turn = 0
        while not stop.is_set():
            set_status(tmp_path, 2, statuses[turn % 2])
            turn += 1
            time.sleep(0.001)  # a gap between rewrites, so whole reads happen even on a loaded machine

    writer = threading.Thread(target=rewrite)
    writer.start()
    try:
        check = order_check(tmp_path, 1, 2, max_parse_failures=10_000)
        outcomes = [await look(check) for _ in range(300)]
    finally:
        stop.set()
        writer.join()
    assert {o.kind for o in outcomes} == {"not_yet"}
    errors = {o.error for o in outcomes}
    assert errors <= {None, "TornFileError"}
    assert None in errors  # whole reads happened too
