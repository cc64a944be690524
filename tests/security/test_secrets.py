"""Security sweep: secrets given through connections reach no trigger kwargs, event, XCom or log; SQL values are bound.

Every sensor that takes a secret takes it through an Airflow connection id (defined here with
``AIRFLOW_CONN_*`` variables); the triggerer resolves it. Each sweep below runs a sensor the way
Airflow does: ``execute()`` in the worker (a first "not yet"), then the trigger rebuilt from its
``serialize()``d kwargs and run to its first event, then ``execute_complete()`` with that event,
capturing every log record (DEBUG and up) and anything printed, and looks for the secret (and,
for basic auth, its base64 form) in all four places. FileArrivalSensor and AdaptiveFileSensor
take no secrets. The local PostgreSQL trusts loopback connections, so the PostgreSQL password
is irrelevant to the server, but it travels exactly as a real one would.

What other tests already prove, and so is not repeated here (module in bold, then its tests):

======================================  ==========================================================================
case                                    test
======================================  ==========================================================================
**tests/sensors/test_api_health.py**
APIHealthSensor bearer token, sweep     test_a_bearer_token_from_a_connection_reaches_no_kwargs_event_xcom_or_log
a token in ``headers`` is refused       test_a_credential_header_is_refused_pointing_to_a_connection
**tests/triggers/http/test_credentials.py**
every connection secret is masked       test_every_secret_of_the_connection_is_registered_with_the_masker
an echoed token is masked               test_an_echoed_token_is_masked_in_the_met_value_and_report
**tests/e2e/test_http_api_health.py**
bearer token on the real stack          test_the_sensor_defers_through_maintenance_and_succeeds_when_healthy
**tests/triggers/orders/test_trigger.py**
DbPollTrigger kwargs, events, logs      test_no_password_reaches_kwargs_events_or_logs
**tests/sensors/test_order_status.py**
the kwargs carry the conn id only       test_a_sql_connection_defers_with_the_connection_id_and_never_the_password
SQL identifiers checked at parse time   test_bad_arguments_fail_at_construction_naming_the_argument
**tests/triggers/orders/test_postgres.py**
a refusal's reason has no password      test_wrong_credentials_fail_at_once
a status with SQL is bound              test_quotes_and_sql_in_a_status_are_bound_and_harmless
**tests/triggers/orders/test_sqlite.py**
a status with SQL is bound              test_quotes_and_sql_in_a_status_are_bound_and_harmless
an id with SQL matches nothing          test_an_id_with_sql_in_it_is_bound_and_matches_nothing
======================================  ==========================================================================

New here: basic auth through APIHealthSensor, the PostgreSQL password through OrderStatusSensor and
through a MultiSourceReadinessSensor gather (HTTP bearer + SQL), each down to the XComs; and SQL in a
status bound end to end through the deferred sensor's serialized kwargs, the table surviving.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from airflow.triggers.base import BaseTaskEndEvent

from sensors import APIHealthSensor, MultiSourceReadinessSensor, OrderStatusSensor
from sensors.base import DeferrableSensor
from tests.support.http_server import Reply, http_server
from tests.support.postgres import PostgresDatabase, postgres_db
from tests.support.sensors import context
from tests.triggers.orders.tables import create_orders, set_status
from triggers.cadence import Fixed
from triggers.compat import TaskDeferred
from triggers.http import HttpCheck
from triggers.orders import SqlOrderCheck
from triggers.report import REPORT_XCOM_KEY, Report

__all__ = ["http_server", "postgres_db"]

TOKEN = "sweep-bearer-5e0c9d1a7b"
LOGIN = "sweep-reader"
BASIC_PASSWORD = "sweep-basic-Pa55-83f1"
PG_PASSWORD = "sweep-pg-Pa55-c41d"
HEALTHY = {"status": "healthy"}
INJECTION = "shipped'; DROP TABLE orders; --"


@dataclass(frozen=True)
class Sweep:
    """Where one deferred wait left text: the trigger kwargs, the event, the XComs, the logs."""

    report: Report
    value: Any
    places: dict[str, str]

    def leaks(self, *secrets: str) -> list[str]:
        """Return the places holding any of ``secrets``."""
        return [where for where, text in self.places.items() if any(s in text for s in secrets)]


async def first_event(trigger: Any) -> dict[str, Any]:
    """Return the report of the trigger's first event (a task-end event carries it as an XCom)."""
    async for event in trigger.run():
        if isinstance(event, BaseTaskEndEvent):
            return dict(json.loads(json.dumps(event.xcoms[REPORT_XCOM_KEY])))
        return dict(json.loads(json.dumps(event.payload)))
    raise AssertionError("the trigger ended without an event")


def defer(sensor: DeferrableSensor, ctx: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Return the classpath and kwargs of the trigger ``sensor.execute()`` defers to."""
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute(ctx)
    classpath, kwargs = deferred.value.trigger.serialize()
    return classpath, kwargs


def run_trigger(classpath: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Rebuild the trigger from its kwargs (checking every 0.05 s) and return its first event's payload.

    With no settle hold: there is no scheduler here for an early event to race (it cost 30 s a test).
    """
    module, _, name = classpath.rpartition(".")
    trigger_class = getattr(importlib.import_module(module), name)
    return asyncio.run(first_event(trigger_class(**{**kwargs, "cadence": Fixed(0.05).to_dict(), "settle": 0})))


def sweep(
    sensor: DeferrableSensor,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    deferred: Callable[[], object] = lambda: None,
) -> Sweep:
    """Run ``sensor`` as Airflow does: execute, then ``deferred()``, the trigger from its kwargs, execute_complete."""
    ctx = context()
    caplog.set_level(logging.DEBUG)
    classpath, kwargs = defer(sensor, ctx)
    deferred()
    event = run_trigger(classpath, kwargs)
    value = sensor.execute_complete(ctx, event=event)
    printed = capsys.readouterr()
    places = {
        "trigger kwargs": json.dumps(kwargs, default=str),
        "event": json.dumps(event),
        "xcom": json.dumps(ctx["ti"].xcoms, default=str) + json.dumps(value, default=str),
        "captured logs": caplog.text + printed.out + printed.err,
    }
    return Sweep(Report.from_event(event), value, places)


@pytest.fixture
def pg_orders(postgres_db: PostgresDatabase, monkeypatch: pytest.MonkeyPatch) -> PostgresDatabase:
    """The seed's orders in a fresh database, behind the connection ``sweep_pg`` whose URI holds a password."""
    asyncio.run(create_orders(postgres_db))
    uri = postgres_db.airflow_uri.replace(f"{postgres_db.user}@", f"{postgres_db.user}:{PG_PASSWORD}@")
    monkeypatch.setenv("AIRFLOW_CONN_SWEEP_PG", uri)
    return postgres_db


def define_http(monkeypatch: pytest.MonkeyPatch, conn_id: str, port: int, **fields: Any) -> str:
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{conn_id.upper()}",
        json.dumps({"conn_type": "http", "host": "127.0.0.1", "port": port, **fields}),
    )
    return conn_id


def echoing(authorization: str, replies: list[Reply]) -> Any:
    """Return a responder that demands ``authorization`` and echoes it back in the body (a leak would show)."""
    remaining = list(replies)

    def answer(request: Any) -> Reply:
        if request.headers.get("Authorization") != authorization:
            return Reply(401)
        reply = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        return Reply(reply.status, json={**(reply.json or {}), "echo": authorization})

    return answer


def test_basic_auth_from_a_connection_reaches_no_kwargs_event_xcom_or_log(
    http_server: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capsys: Any
) -> None:
    pair = base64.b64encode(f"{LOGIN}:{BASIC_PASSWORD}".encode()).decode()
    http_server.script("/api/health", echoing(f"Basic {pair}", [Reply(503, json={}), Reply(200, json=HEALTHY)]))
    conn_id = define_http(monkeypatch, "sweep_basic", http_server.port, login=LOGIN, password=BASIC_PASSWORD)
    sensor = APIHealthSensor(
        task_id="sweep_basic",
        endpoint_url="/api/health",
        http_conn_id=conn_id,
        auth_type="basic",
        expected_response=HEALTHY,
        poke_interval=1,
    )
    result = sweep(sensor, caplog, capsys)
    assert result.report.outcome == "met"
    assert "Last response from" in result.places["captured logs"]  # the logs were captured at all
    assert result.leaks(BASIC_PASSWORD, pair) == []


def test_a_postgres_password_reaches_no_kwargs_event_xcom_or_log(
    pg_orders: PostgresDatabase, caplog: pytest.LogCaptureFixture, capsys: Any
) -> None:
    sensor = OrderStatusSensor(task_id="sweep_pg", order_id=1, expected_status="shipped", conn_id="sweep_pg")
    result = sweep(sensor, caplog, capsys, deferred=lambda: asyncio.run(set_status(pg_orders, 1, "shipped")))
    assert (result.report.outcome, result.value["status"]) == ("met", "shipped")
    assert "sweep_pg" in result.places["trigger kwargs"]  # the connection id travels, and was looked at
    assert "met on attempt" in result.places["captured logs"]
    assert result.leaks(PG_PASSWORD) == []


def test_a_gather_of_connections_reaches_no_kwargs_event_xcom_or_log(
    http_server: Any,
    pg_orders: PostgresDatabase,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: Any,
) -> None:
    http_server.script("/api/health", echoing(f"Bearer {TOKEN}", [Reply(503, json={}), Reply(200, json=HEALTHY)]))
    conn_id = define_http(monkeypatch, "sweep_bearer", http_server.port, password=TOKEN)
    sensor = MultiSourceReadinessSensor(
        task_id="sweep_gather",
        conditions={
            "api": HttpCheck("/api/health", http_conn_id=conn_id, auth_type="bearer", expected_json=HEALTHY),
            "order": SqlOrderCheck(order_ids=(2,), expected_status="processing", conn_id="sweep_pg"),
        },
        poke_interval=1,
    )
    result = sweep(sensor, caplog, capsys)
    assert result.report.outcome == "met"
    assert set(result.value) == {"api", "order"}
    assert "met on attempt" in result.places["captured logs"]
    assert result.leaks(TOKEN, PG_PASSWORD) == []


@pytest.mark.parametrize(
    ("stored", "expected", "outcome"),
    [
        pytest.param(INJECTION, INJECTION, "met", id="expected-status-with-sql-matches-itself"),
        pytest.param("pending", INJECTION, "timeout", id="expected-status-with-sql-matches-nothing"),
        pytest.param(INJECTION, "shipped", "timeout", id="stored-status-with-sql-is-just-a-value"),
    ],
)
def test_sql_in_a_status_is_bound_through_the_deferred_sensor(
    pg_orders: PostgresDatabase, stored: str, expected: str, outcome: str
) -> None:
    asyncio.run(set_status(pg_orders, 1, "processing"))
    sensor = OrderStatusSensor(task_id="sweep_sql", order_id=1, expected_status=expected, conn_id="sweep_pg", timeout=1)
    classpath, kwargs = defer(sensor, context())
    assert kwargs["check"]["expected_status"] == expected  # a value in the kwargs, bound by the check
    asyncio.run(set_status(pg_orders, 1, stored))
    assert Report.from_event(run_trigger(classpath, kwargs)).outcome == outcome
    assert pg_orders.run("SELECT 1 FROM orders") == "SELECT 3"  # the table survived
    assert asyncio.run(count_statuses(pg_orders, stored)) == 1


async def count_statuses(database: PostgresDatabase, status: str) -> int:
    connection = await database.connect()
    try:
        return int(await connection.fetchval("SELECT count(*) FROM orders WHERE status = $1", status))
    finally:
        await connection.close()


def test_a_sql_query_sensor_password_reaches_no_kwargs_event_xcom_or_log(
    pg_orders: PostgresDatabase, caplog: pytest.LogCaptureFixture, capsys: Any
) -> None:
    from sensors import DeferrableSqlSensor

    sensor = DeferrableSqlSensor(
        task_id="sweep_sql",
        conn_id="sweep_pg",
        sql="SELECT status = %s FROM orders WHERE id = %s",
        parameters=["shipped", 1],
        poke_interval=1,
    )
    result = sweep(sensor, caplog, capsys, deferred=lambda: asyncio.run(set_status(pg_orders, 1, "shipped")))
    assert (result.report.outcome, result.value) == ("met", True)
    assert "sweep_pg" in result.places["trigger kwargs"]
    assert "met on attempt" in result.places["captured logs"]
    assert result.leaks(PG_PASSWORD) == []
