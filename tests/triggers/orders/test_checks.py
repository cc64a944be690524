"""Order checks validate every parameter when built and survive the JSON trip to the triggerer."""

import json
import textwrap
from pathlib import Path

import pytest

from tests.triggers.orders import tables
from triggers.checks import Check
from triggers.errors import ConfigurationError
from triggers.orders import JsonOrderCheck, SqlOrderCheck, notify_trigger_sql
from triggers.orders import sql as orders_sql
from triggers.orders.sql import OrderQuery


def sql_check(**overrides) -> SqlOrderCheck:
    return tables.sql_check("orders_db", **overrides)


@pytest.mark.parametrize(
    "check",
    [
        pytest.param(JsonOrderCheck(order_ids=(1, "A-2"), expected_status="shipped"), id="json"),
        pytest.param(
            sql_check(table="shop.orders", columns=["total"], notify_channel="order_status", failure_statuses=["lost"]),
            id="sql",
        ),
    ],
)
def test_a_check_rebuilds_equal_from_json(check) -> None:
    data = json.loads(json.dumps(check.to_dict()))
    assert Check.from_dict(data) == check
    assert Check.from_dict(data).to_dict() == check.to_dict()


def test_the_parse_failure_counter_is_state_not_a_parameter() -> None:
    check = JsonOrderCheck(order_ids=(1,), expected_status="shipped", max_parse_failures=2)
    assert "_parse_failures" not in check.to_dict()
    assert check.to_dict()["max_parse_failures"] == 2


@pytest.mark.parametrize(
    ("overrides", "argument"),
    [
        pytest.param({"table": "orders; DROP TABLE orders"}, "table", id="table-injection"),
        pytest.param({"table": 'orders"'}, "table", id="table-quote"),
        pytest.param({"table": "1orders"}, "table", id="table-digit-first"),
        pytest.param({"table": "a.b.c"}, "table", id="table-three-parts"),
        pytest.param({"table": "orders "}, "table", id="table-space"),
        pytest.param({"table": "orders\n"}, "table", id="table-newline"),
        pytest.param({"table": "x" * 64}, "table", id="table-too-long"),
        pytest.param({"id_column": "id, status"}, "id_column", id="id-list"),
        pytest.param({"id_column": "shop.id"}, "id_column", id="id-qualified"),
        pytest.param({"status_column": "status--"}, "status_column", id="status-comment"),
        pytest.param({"columns": ["total", "1=1"]}, "columns", id="column"),
        pytest.param({"columns": "total"}, "columns", id="columns-string"),
        pytest.param({"notify_channel": "order-status"}, "notify_channel", id="channel-dash"),
        pytest.param({"notify_channel": ""}, "notify_channel", id="channel-empty"),
        pytest.param({"conn_id": "my conn"}, "conn_id", id="conn-space"),
        pytest.param({"conn_id": ""}, "conn_id", id="conn-empty"),
        pytest.param({"expected_status": ""}, "expected_status", id="expected-empty"),
        pytest.param({"expected_status": "cancelled"}, "failure_statuses", id="expected-is-failure"),
        pytest.param({"order_ids": ()}, "order_id", id="no-orders"),
    ],
)
def test_invalid_sql_parameters_are_rejected_at_construction(overrides, argument) -> None:
    with pytest.raises(ConfigurationError, match=f"^{argument}:"):
        sql_check(**overrides)


@pytest.mark.parametrize(
    ("overrides", "argument"),
    [
        pytest.param({"db_path": "relative/db"}, "db_path", id="relative"),
        pytest.param({"db_path": ""}, "db_path", id="empty"),
        pytest.param({"max_parse_failures": 0}, "max_parse_failures", id="zero-failures"),
        pytest.param({"max_parse_failures": True}, "max_parse_failures", id="bool-failures"),
        pytest.param({"status_column": ""}, "status_column", id="status-key"),
    ],
)
def test_invalid_json_parameters_are_rejected_at_construction(overrides, argument) -> None:
    with pytest.raises(ConfigurationError, match=f"^{argument}:"):
        JsonOrderCheck(order_ids=(1,), expected_status="shipped", **overrides)


def test_unknown_parameters_from_json_are_rejected() -> None:
    data = {**sql_check().to_dict(), "password": "x"}
    with pytest.raises(ConfigurationError, match=r"^order_sql:"):
        Check.from_dict(data)


def test_the_query_binds_ids_and_names_only_validated_identifiers() -> None:
    query = OrderQuery("shop.orders", "id", "status", ("total", "id"))
    assert query.postgres() == "SELECT id, status, id, status, total FROM shop.orders WHERE id = ANY($1)"
    assert query.sqlite(3) == "SELECT id, status, id, status, total FROM shop.orders WHERE id IN (?, ?, ?)"
    assert OrderQuery("orders", "id", "status").sqlite(1) == "SELECT id, status, * FROM orders WHERE id IN (?)"


def test_describe_names_the_orders_and_the_store_without_secrets() -> None:
    assert sql_check(order_ids=(1, 2)).describe() == "orders 1, 2 -> 'shipped' in table orders of connection orders_db"


def test_the_notify_trigger_sql_rejects_bad_identifiers() -> None:
    with pytest.raises(ConfigurationError, match=r"^notify_channel:"):
        notify_trigger_sql("orders", "x'); DROP TABLE orders; --")


def test_the_documented_notify_trigger_is_the_one_notify_trigger_sql_gives() -> None:
    docs = (Path(__file__).parents[3] / "docs" / "orders.md").read_text()
    assert notify_trigger_sql("orders", "order_status").strip() in docs
    assert textwrap.indent(notify_trigger_sql("orders", "order_status").strip(), "    ") in (orders_sql.__doc__ or "")
