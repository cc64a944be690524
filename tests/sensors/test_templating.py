"""Templated arguments: each reaches the trigger once rendered; a bad rendering fails at once naming it."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

from sandbox.ecommerce_db import write_orders
from sensors import (
    AdaptiveFileSensor,
    APIHealthSensor,
    FileArrivalSensor,
    MultiSourceReadinessSensor,
    OrderStatusSensor,
)
from sensors.base import DeferrableSensor
from sensors.templating import is_template, stand_in, whole_numbers
from tests.support.sensors import TaskInstanceStub, context
from tests.support.variables import Variables
from triggers.compat import AirflowFailException, TaskDeferred
from triggers.errors import ConfigurationError
from triggers.gather import CallableCheck, JsonDateCheck

# Nothing listens on port 1: every HTTP check is "not yet" (refused), so execute() defers.
CLOSED = "http://127.0.0.1:1"


@pytest.fixture(autouse=True)
def connections(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A SQLite orders table (order 1 pending) and an HTTP connection, as Airflow reads them from the environment."""
    database = tmp_path / "shop.sqlite"
    with sqlite3.connect(database) as db:
        for table in ("orders", "open_orders"):
            db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, status TEXT)")
            db.execute(f"INSERT INTO {table} VALUES (1, 'pending')")
    db.close()
    monkeypatch.setenv("AIRFLOW_CONN_SHOP_DB", json.dumps({"conn_type": "sqlite", "host": str(database)}))
    monkeypatch.setenv("AIRFLOW_CONN_PRICING", json.dumps({"conn_type": "http", "host": "127.0.0.1", "port": 1}))


def orders(tmp: Path, **kwargs: Any) -> OrderStatusSensor:
    write_orders(tmp)  # order 1 pending, order 2 processing: neither shipped
    kwargs.setdefault("order_id", 1)
    kwargs.setdefault("db_path", str(tmp))
    return OrderStatusSensor(task_id="orders", expected_status=kwargs.pop("expected_status", "shipped"), **kwargs)


def api(tmp: Path, **kwargs: Any) -> APIHealthSensor:
    kwargs.setdefault("endpoint_url", f"{CLOSED}/health")
    return APIHealthSensor(task_id="api", **kwargs)


def files(tmp: Path, **kwargs: Any) -> FileArrivalSensor:
    kwargs.setdefault("filepath", str(tmp / "missing.csv"))
    return FileArrivalSensor(task_id="files", **kwargs)


def adaptive(tmp: Path, **kwargs: Any) -> AdaptiveFileSensor:
    kwargs.setdefault("filepath", str(tmp / "missing.csv"))
    made = AdaptiveFileSensor(task_id="adaptive", **kwargs)
    made.variables = Variables()
    return made


def gather(tmp: Path, **kwargs: Any) -> MultiSourceReadinessSensor:
    kwargs.setdefault("conditions", {"snapshot": JsonDateCheck(path=str(tmp / "snapshot.json"))})
    return MultiSourceReadinessSensor(task_id="gather", **kwargs)


def not_ready_on(day: str) -> bool:
    """A condition that is never ready (the test only looks at the kwargs it was given)."""
    return False


Factory = Callable[..., DeferrableSensor]

# (factory, argument, template, rendered context value, where it lands in the trigger's kwargs, expected)
CASES = [
    pytest.param(orders, "order_id", "{{ v }}", 2, "check.order_ids", [2], id="order_id"),
    pytest.param(orders, "order_ids", ["{{ v }}"], "2", "check.order_ids", [1, 2], id="order_ids"),
    pytest.param(orders, "expected_status", "{{ v }}", "delivered", "check.expected_status", "delivered", id="status"),
    pytest.param(orders, "failure_statuses", ["{{ v }}"], "lost", "check.failure_statuses", ["lost"], id="failures"),
    pytest.param(orders, "db_path", "{{ v }}", "TMP", "check.db_path", "TMP", id="db_path"),
    pytest.param(orders, "conn_id", "{{ v }}", "shop_db", "check.conn_id", "shop_db", id="conn_id"),
    pytest.param(
        lambda tmp, **kw: orders(tmp, conn_id="shop_db", **kw),
        "table",
        "{{ v }}",
        "open_orders",
        "check.table",
        "open_orders",
        id="table",
    ),
    pytest.param(api, "endpoint_url", "{{ v }}", f"{CLOSED}/v2/health", "check.url", f"{CLOSED}/v2/health", id="url"),
    pytest.param(api, "expected_status", "{{ v }}", "204", "check.expected_status", [204], id="http_status"),
    pytest.param(
        api, "expected_response", {"status": "{{ v }}"}, "green", "check.expected_json", {"status": "green"}, id="body"
    ),
    pytest.param(api, "headers", {"X-Run": "{{ v }}"}, "run-7", "check.headers", {"X-Run": "run-7"}, id="headers"),
    pytest.param(api, "http_conn_id", "{{ v }}", "pricing", "check.http_conn_id", "pricing", id="http_conn_id"),
    pytest.param(
        api,
        "field_expectations",
        [("catalog.version", "==", "{{ v }}")],
        "v9",
        "check.fields",
        [{"kind": "field", "path": "catalog.version", "op": "==", "value": "v9"}],
        id="fields",
    ),
    pytest.param(files, "filepath", "{{ v }}", "TMP/in_*.csv", "check.path", "TMP/in_*.csv", id="filepath"),
    pytest.param(files, "marker_suffix", "{{ v }}", ".ok", "check.marker_suffix", ".ok", id="marker"),
    pytest.param(adaptive, "history_key", "{{ v }}", "acme.history", "history_key", "acme.history", id="history_key"),
    pytest.param(
        adaptive, "override_variable", "{{ v }}", "acme.fast", "override_variable", "acme.fast", id="override"
    ),
    pytest.param(
        gather,
        "conditions",
        {"snapshot": JsonDateCheck(path="/{{ v }}/snapshot.json")},
        "data",
        "check.conditions.snapshot.path",
        "/data/snapshot.json",
        id="check_args",
    ),
    pytest.param(
        gather,
        "conditions",
        {"fn": CallableCheck(f"{__name__}.not_ready_on", {"day": "{{ v }}"})},
        "2026-01-02",
        "check.conditions.fn.kwargs",
        {"day": "2026-01-02"},
        id="callable_kwargs",
    ),
    pytest.param(
        gather, "condition_timeouts", {"snapshot": "{{ v }}"}, "45", "check.timeouts", {"snapshot": 45}, id="timeouts"
    ),
]


def trigger_kwargs(made: DeferrableSensor) -> dict[str, Any]:
    with pytest.raises(TaskDeferred) as deferred:
        made.execute(context())
    return json.loads(json.dumps(deferred.value.trigger.serialize()[1]))


def dig(kwargs: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        kwargs = kwargs[part]
    return kwargs


@pytest.mark.parametrize(("factory", "argument", "template", "value", "path", "expected"), CASES)
def test_a_rendered_template_field_reaches_the_trigger(
    tmp_path: Path, factory: Factory, argument: str, template: Any, value: Any, path: str, expected: Any
) -> None:
    value = value.replace("TMP", str(tmp_path)) if isinstance(value, str) else value
    expected = json.loads(json.dumps(expected).replace("TMP", str(tmp_path)))
    made = factory(tmp_path, **{argument: template})
    assert argument in made.template_fields
    made.render_template_fields({"v": value})
    assert dig(trigger_kwargs(made), path) == expected


@pytest.mark.parametrize(
    ("factory", "argument", "template", "value"),
    [
        pytest.param(orders, "order_id", "{{ v }}", "", id="order_id"),
        pytest.param(orders, "db_path", "{{ v }}", "relative/db", id="db_path"),
        pytest.param(api, "endpoint_url", "{{ v }}", "ftp://example.com/", id="url"),
        pytest.param(files, "filepath", "{{ v }}", "not/absolute.csv", id="filepath"),
        pytest.param(adaptive, "history_key", "{{ v }}", " ", id="history_key"),
        pytest.param(gather, "condition_timeouts", "{{ v }}", "soon", id="timeouts"),
    ],
)
def test_an_invalid_rendered_value_fails_at_once_naming_the_argument_and_value(
    tmp_path: Path, factory: Factory, argument: str, template: Any, value: Any
) -> None:
    made = factory(tmp_path, **{argument: template})
    with pytest.raises(AirflowFailException, match=rf"{argument}={value!r}".replace("?", r"\?")):
        made.render_template_fields({"v": value})


def test_a_value_that_is_not_a_template_still_fails_at_parse_time(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"^db_path:"):
        orders(tmp_path, order_id="{{ v }}", db_path="relative/db")


class PulledTaskInstance(TaskInstanceStub):
    """Answers xcom_pull with what an upstream task returned (the boundary XComArg resolves through)."""

    def __init__(self, returned: dict[str, Any]) -> None:
        super().__init__()
        self.returned = returned

    def xcom_pull(self, task_ids: str, key: str, **_: Any) -> Any:
        return self.returned[task_ids] if key == "return_value" else None


def test_an_upstream_output_is_an_order_id(tmp_path: Path) -> None:
    write_orders(tmp_path)
    with DAG(dag_id="xcom_order", schedule=None):
        upstream = EmptyOperator(task_id="pick_order")
        made = OrderStatusSensor(
            task_id="wait", order_id=upstream.output, expected_status="shipped", db_path=str(tmp_path)
        )
    assert made.upstream_task_ids == {"pick_order"}
    made.render_template_fields({"ti": PulledTaskInstance({"pick_order": "2"})})
    assert made.order_id == 2
    assert dig(trigger_kwargs(made), "check.order_ids") == [2]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("{{ x }}", True, id="expression"),
        pytest.param("{% if x %}y{% endif %}", True, id="statement"),
        pytest.param({"a": ["{{ x }}"]}, True, id="nested"),
        pytest.param("/data/{literal}", False, id="braces"),
        pytest.param({"a": 1}, False, id="plain"),
    ],
)
def test_what_counts_as_still_a_template(value: Any, expected: bool) -> None:
    assert is_template(value) is expected


def test_stand_ins_replace_only_the_templated_leaves() -> None:
    assert stand_in({"X-Api": "{{ k }}", "Accept": "json"}, {}) == {"X-Api": "templated", "Accept": "json"}
    assert stand_in([1, "{{ x }}"], (7,)) == [1, 7]
    assert stand_in("{{ x }}", 7) == 7


def test_whole_number_text_becomes_an_int() -> None:
    assert whole_numbers(["2", " 3", "x", "2.5"]) == [2, 3, "x", "2.5"]
    assert whole_numbers({"a": "10"}) == {"a": 10}
