from datetime import UTC, datetime
from decimal import Decimal

import pytest

from triggers.errors import ConfigurationError
from triggers.orders.records import OrderRow, judge, validate_failure_statuses, validate_order_ids
from triggers.outcomes import Failed, Met, NotYet
from triggers.sql.values import jsonable


def rows(**statuses):
    return {
        key.lstrip("_"): OrderRow(status, {"id": key.lstrip("_"), "status": status}) for key, status in statuses.items()
    }


def decide(order_ids, found, expected="shipped", failures=("cancelled", "refunded")):
    return judge(order_ids, found, expected=expected, failure_statuses=failures, where="the store")


def test_one_order_in_the_expected_status_is_met_with_its_record() -> None:
    outcome = decide([1], rows(_1="shipped"))
    assert outcome == Met({"id": "1", "status": "shipped"}, detail=outcome.detail)
    assert outcome.detail["orders"] == {"1": "shipped"}


def test_several_orders_are_met_with_their_records_in_the_order_asked() -> None:
    outcome = decide([2, 1], rows(_1="shipped", _2="shipped"))
    assert isinstance(outcome, Met)
    assert [record["id"] for record in outcome.value] == ["2", "1"]


@pytest.mark.parametrize(
    ("found", "reason"),
    [
        pytest.param(rows(_1="pending"), "order 1 is 'pending'", id="other-status"),
        pytest.param(rows(), "order 1 not found", id="absent"),
        pytest.param(rows(_1=None), "order 1 has no status yet", id="no-status"),
    ],
)
def test_one_order_not_there_yet_says_what_was_seen(found, reason) -> None:
    assert decide([1], found).reason == reason


def test_several_orders_report_each_status_and_wait_for_all() -> None:
    outcome = decide([1, 2, 3], rows(_1="shipped", _2="pending"))
    assert isinstance(outcome, NotYet)
    assert outcome.reason == "2 of 3 orders not 'shipped' yet: 2 is 'pending'; 3 not found"
    assert outcome.detail == {
        "orders": {"1": "shipped", "2": "pending", "3": None},
        "missing": ["3"],
        "expected_status": "shipped",
    }


def test_a_long_list_of_waiting_orders_is_summarised() -> None:
    outcome = decide(list(range(10)), rows())
    assert outcome.reason.endswith("4 not found; 5 more")


@pytest.mark.parametrize("status", ["cancelled", "refunded"])
def test_a_failure_status_fails_at_once_quoting_the_order(status) -> None:
    outcome = decide([1, 2], rows(_1="shipped", _2=status))
    assert isinstance(outcome, Failed)
    assert outcome.reason.startswith(f"order 2 is '{status}', a final status, in the store: {{")
    assert '"id": "2"' in outcome.reason


def test_a_status_with_quotes_and_sql_is_just_text() -> None:
    status = "shipped'; DROP TABLE orders; --"
    assert isinstance(decide([1], rows(_1=status)), NotYet)
    assert isinstance(decide([1], rows(_1=status), expected=status), Met)


def test_order_ids_match_as_text() -> None:
    assert isinstance(decide(["1"], rows(_1="shipped")), Met)


def test_records_become_json_native() -> None:
    stamp = datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert jsonable({"total": Decimal("299.99"), "at": stamp, "raw": b"\x01", "tags": ("a",)}) == {
        "total": 299.99,
        "at": "2024-01-01T10:00:00+00:00",
        "raw": "01",
        "tags": ["a"],
    }


@pytest.mark.parametrize(
    "value",
    [
        pytest.param([], id="empty"),
        pytest.param(None, id="none"),
        pytest.param(True, id="bool"),
        pytest.param(1.5, id="float"),
        pytest.param(" ", id="blank"),
        pytest.param([1, {"id": 2}], id="dict-in-list"),
    ],
)
def test_bad_order_ids_are_rejected(value) -> None:
    with pytest.raises(ConfigurationError, match=r"^order_id:"):
        validate_order_ids(value)


def test_repeated_order_ids_are_kept_once() -> None:
    assert validate_order_ids([1, "1", 2, 1]) == (1, 2)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("cancelled", id="bare-string"),
        pytest.param(["cancelled", ""], id="blank-status"),
        pytest.param(["shipped"], id="holds-expected"),
    ],
)
def test_bad_failure_statuses_are_rejected(value) -> None:
    with pytest.raises(ConfigurationError, match=r"^failure_statuses:"):
        validate_failure_statuses(value, "shipped")
