"""OrderStatusSensor: the seed's signature, deferral to DbPollTrigger, and the same answers in poke mode."""

import inspect
import json
import re
import time
from datetime import timedelta

import pytest

from sandbox.ecommerce_db import set_status, write_orders
from sensors.base import REPORT_XCOM_KEY, TIMEOUT_BACKSTOP_GRACE
from sensors.order_status import OrderStatusSensor
from tests.support.sensors import context
from tests.support.state_store import TaskStateStoreFake
from triggers.compat import AirflowFailException, TaskDeferred
from triggers.errors import ConfigurationError
from triggers.orders import DbPollTrigger


def sensor(directory, order_id=1, expected_status="shipped", **kwargs) -> OrderStatusSensor:
    kwargs.setdefault("task_id", "wait_for_order")
    kwargs.setdefault("timeout", 600)
    kwargs.setdefault("poke_interval", 5)
    kwargs.setdefault("db_path", str(directory))
    return OrderStatusSensor(order_id=order_id, expected_status=expected_status, **kwargs)


def deferred_kwargs(order_sensor: OrderStatusSensor) -> tuple[TaskDeferred, dict]:
    with pytest.raises(TaskDeferred) as deferred:
        order_sensor.execute(context())
    assert isinstance(deferred.value.trigger, DbPollTrigger)
    return deferred.value, deferred.value.trigger.serialize()[1]


def test_the_constructor_keeps_the_seeds_arguments_and_defaults() -> None:
    parameters = list(inspect.signature(OrderStatusSensor.__init__).parameters.values())
    assert [(p.name, p.default) for p in parameters[1:4]] == [
        ("order_id", inspect.Parameter.empty),
        ("expected_status", inspect.Parameter.empty),
        ("db_path", "/tmp/mock-ecommerce-db"),
    ]
    built = OrderStatusSensor(task_id="t", order_id=1, expected_status="shipped")
    assert (built.order_id, built.expected_status, built.db_path) == (1, "shipped", "/tmp/mock-ecommerce-db")
    assert built.build_check().where() == "/tmp/mock-ecommerce-db/orders.json"


def test_execute_defers_to_the_db_poll_trigger_with_the_timeout(tmp_path) -> None:
    write_orders(tmp_path)
    deferred, kwargs = deferred_kwargs(sensor(tmp_path))
    assert deferred.timeout == timedelta(seconds=600 + TIMEOUT_BACKSTOP_GRACE)
    assert deferred.method_name == "execute_complete"
    assert kwargs["check"] == {
        "kind": "order_json",
        "order_ids": [1],
        "expected_status": "shipped",
        "failure_statuses": ["cancelled", "refunded"],
        "id_column": "id",
        "status_column": "status",
        "db_path": str(tmp_path),
        "max_parse_failures": 5,
        "share_probe": True,
    }


def test_share_probe_travels_to_the_json_check_and_a_bad_one_is_named_for_either_store(tmp_path) -> None:
    write_orders(tmp_path)
    _, kwargs = deferred_kwargs(sensor(tmp_path, share_probe=False))
    assert kwargs["check"]["share_probe"] is False
    for store in ({}, {"conn_id": "warehouse"}):
        with pytest.raises(ConfigurationError, match=r"^share_probe:"):
            sensor(tmp_path, share_probe="yes", **store)


def test_execute_returns_the_order_at_once_when_it_is_already_shipped(tmp_path) -> None:
    write_orders(tmp_path)
    set_status(tmp_path, 1, "shipped")
    ctx = context()
    record = sensor(tmp_path).execute(ctx)
    assert record["id"] == 1
    assert record["status"] == "shipped"
    assert ctx["ti"].xcoms[REPORT_XCOM_KEY]["detail"]["orders"] == {"1": "shipped"}


def test_execute_fails_at_once_on_a_cancelled_order_quoting_it(tmp_path) -> None:
    write_orders(tmp_path)
    set_status(tmp_path, 1, "cancelled")
    with pytest.raises(AirflowFailException, match=r"order 1 is 'cancelled', a final status.*\"customer_id\": 101"):
        sensor(tmp_path).execute(context())


def test_several_orders_give_their_records_as_a_list(tmp_path) -> None:
    write_orders(tmp_path)
    for order_id in (1, 3):
        set_status(tmp_path, order_id, "shipped")
    records = sensor(tmp_path, order_ids=[3]).execute(context())
    assert [record["id"] for record in records] == [1, 3]


def prepare(db_path, state: str) -> None:
    if state == "torn":
        (db_path / "orders.json").write_text('[{"id": 1, "sta')
    elif state != "missing":
        write_orders(db_path)
        set_status(db_path, 1, state)


@pytest.mark.parametrize(
    ("state", "poke_answer", "report_outcome"),
    [
        pytest.param("missing", False, "timeout", id="missing"),
        pytest.param("torn", False, "timeout", id="torn"),
        pytest.param("pending", False, "timeout", id="pending"),
        pytest.param("shipped", True, "met", id="shipped"),
        pytest.param("refunded", AirflowFailException, "failed", id="refunded"),
    ],
)
async def test_poke_gives_the_same_answers_as_the_trigger(tmp_path, state, poke_answer, report_outcome) -> None:
    write_orders(tmp_path)
    _, kwargs = deferred_kwargs(sensor(tmp_path))
    (tmp_path / "orders.json").unlink()
    prepare(tmp_path, state)
    report = await DbPollTrigger(**{**kwargs, "deadline": time.time() + 0.3}).make_loop().run()
    assert report.outcome == report_outcome
    poking = sensor(tmp_path, deferrable=False)
    if poke_answer is AirflowFailException:
        with pytest.raises(AirflowFailException, match=re.escape(report.reason)):
            poking.poke(context())
        return
    poked = poking.poke(context())
    assert bool(poked) is poke_answer
    assert (poked.xcom_value if poked else None) == report.value  # not yet: False, as the seed's poke() -> bool


def test_poke_fails_after_max_parse_failures_across_pokes(tmp_path) -> None:
    (tmp_path / "orders.json").write_text("[{")
    poking = sensor(tmp_path, deferrable=False, max_parse_failures=3)
    assert [bool(poking.poke(context())) for _ in range(2)] == [False, False]
    with pytest.raises(AirflowFailException, match="could not be parsed on 3 consecutive checks"):
        poking.poke(context())


def test_reschedule_mode_fails_after_max_parse_failures_across_fresh_operators(tmp_path) -> None:
    """Each reschedule is a new operator; the run of unparsable reads travels in the task state store.

    Before, the count lived on the check instance: every reschedule started at 0 and a file that
    stayed torn was waited on until the timeout.
    """
    (tmp_path / "orders.json").write_text("[{")
    ctx = {**context(), "task_state_store": TaskStateStoreFake()}

    def rescheduled_poke() -> object:
        return sensor(tmp_path, deferrable=False, mode="reschedule", max_parse_failures=3).poke(ctx)

    assert [rescheduled_poke() for _ in range(2)] == [False, False]
    with pytest.raises(AirflowFailException, match="could not be parsed on 3 consecutive checks"):
        rescheduled_poke()


async def test_the_trigger_fails_after_max_parse_failures(tmp_path) -> None:
    (tmp_path / "orders.json").write_text("[{")
    _, kwargs = deferred_kwargs(sensor(tmp_path, max_parse_failures=3, poke_interval=0.01))
    report = await DbPollTrigger(**{**kwargs, "deadline": time.time() + 30}).make_loop().run()
    assert (report.outcome, report.attempts) == ("failed", 3)
    assert "could not be parsed on 3 consecutive checks" in report.reason


def test_a_sql_connection_defers_with_the_connection_id_and_never_the_password(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SHOP_DB", "postgres://app:s3cret-pw@127.0.0.1:1/shop")
    order_sensor = sensor(
        tmp_path, conn_id="shop_db", table="shop.orders", columns=["total"], notify_channel="order_status"
    )
    check = order_sensor.build_check()
    assert check.to_dict() == {
        "kind": "order_sql",
        "order_ids": [1],
        "expected_status": "shipped",
        "failure_statuses": ["cancelled", "refunded"],
        "id_column": "id",
        "status_column": "status",
        "conn_id": "shop_db",
        "table": "shop.orders",
        "columns": ["total"],
        "notify_channel": "order_status",
        "share_probe": True,
    }
    assert "s3cret-pw" not in json.dumps(check.to_dict())


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        pytest.param({"order_id": None}, "order_id", id="no-order"),
        pytest.param({"order_id": 1.5}, "order_id", id="float-order"),
        pytest.param({"order_ids": "2,3"}, "order_ids", id="order-ids-string"),
        pytest.param({"expected_status": ""}, "expected_status", id="empty-status"),
        pytest.param({"db_path": "mock-db"}, "db_path", id="relative-path"),
        pytest.param({"failure_statuses": ["shipped"]}, "failure_statuses", id="expected-is-failure"),
        pytest.param({"failure_statuses": "cancelled"}, "failure_statuses", id="failure-string"),
        pytest.param({"max_parse_failures": 0}, "max_parse_failures", id="parse-failures"),
        pytest.param({"notify_channel": "order_status"}, "notify_channel", id="notify-without-conn"),
        pytest.param({"conn_id": "shop db"}, "conn_id", id="conn-id"),
        pytest.param({"conn_id": "shop", "table": "orders; DROP TABLE orders"}, "table", id="table"),
        pytest.param({"conn_id": "shop", "id_column": "id OR 1=1"}, "id_column", id="id-column"),
        pytest.param({"conn_id": "shop", "status_column": "a-b"}, "status_column", id="status-column"),
        pytest.param({"conn_id": "shop", "columns": "total"}, "columns", id="columns-string"),
        pytest.param({"conn_id": "shop", "columns": ["to tal"]}, "columns", id="column"),
        pytest.param({"conn_id": "shop", "notify_channel": "a;b"}, "notify_channel", id="channel"),
    ],
)
def test_bad_arguments_fail_at_construction_naming_the_argument(tmp_path, kwargs, argument) -> None:
    with pytest.raises(ConfigurationError, match=f"^{argument}:"):
        sensor(tmp_path, **kwargs)


def test_a_templated_db_path_is_checked_once_rendered(tmp_path) -> None:
    write_orders(tmp_path)
    set_status(tmp_path, 1, "shipped")
    templated = sensor(tmp_path, db_path="{{ db }}")
    templated.render_template_fields({"db": str(tmp_path)})
    assert templated.execute(context())["status"] == "shipped"
    relative = sensor(tmp_path, db_path="{{ db }}")
    with pytest.raises(AirflowFailException, match=r"db_path: must be absolute.*db_path='mock-db'"):
        relative.render_template_fields({"db": "mock-db"})
