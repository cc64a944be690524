"""APIHealthSensor: the seed's arguments, deferral, poke mode, and secrets kept out of kwargs, events, XComs, logs."""

import asyncio
import inspect
import json
import logging
import sys
import types
from datetime import timedelta

import pytest

from sandbox.api_server import ApiSchedule, BackgroundServer, make_app, starting_in_maintenance
from sensors import APIHealthSensor
from sensors.base import REPORT_XCOM_KEY, TIMEOUT_BACKSTOP_GRACE
from tests.support.http_server import LoopbackServer, Reply, http_server
from tests.support.sensors import context
from triggers.cadence import Fixed
from triggers.compat import AirflowFailException, TaskDeferred
from triggers.errors import ConfigurationError
from triggers.http import HttpHealthTrigger

__all__ = ["http_server"]

HEALTHY = {"status": "healthy", "version": "1.0", "timestamp": "2024-01-01T10:00:00"}
MAINTENANCE = {"status": "maintenance", "message": "API under maintenance"}
TOKEN = "bearer-7c1e5a93d2f04b68"


def sensor(server: LoopbackServer, **kwargs) -> APIHealthSensor:
    kwargs.setdefault("endpoint_url", server.url("/api/health"))
    kwargs.setdefault("task_id", "wait_for_api")
    kwargs.setdefault("timeout", 600)
    kwargs.setdefault("poke_interval", 5)
    return APIHealthSensor(**kwargs)


def test_the_seed_arguments_come_first_with_the_seed_defaults() -> None:
    parameters = list(inspect.signature(APIHealthSensor.__init__).parameters.values())[1:6]
    assert [(p.name, p.default) for p in parameters] == [
        ("endpoint_url", inspect.Parameter.empty),
        ("expected_status", 200),
        ("expected_response", None),
        ("headers", None),
        ("request_timeout", 30),
    ]


def test_execute_defers_to_the_http_trigger_with_the_sensor_timeout(http_server) -> None:
    http_server.script("/api/health", Reply(503, json=MAINTENANCE))
    with pytest.raises(TaskDeferred) as deferred:
        sensor(http_server, expected_response={"status": "healthy"}, failure_threshold=5).execute(context())
    trigger = deferred.value.trigger
    assert isinstance(trigger, HttpHealthTrigger)
    assert deferred.value.timeout == timedelta(seconds=600 + TIMEOUT_BACKSTOP_GRACE)
    _, kwargs = trigger.serialize()
    assert (kwargs["check"]["kind"], kwargs["check"]["expected_json"]) == ("http", {"status": "healthy"})
    assert (kwargs["failure_threshold"], kwargs["cadence"]["kind"]) == (5, "backoff")


def test_execute_returns_the_response_summary_at_once_when_healthy(http_server) -> None:
    http_server.script("/api/health", Reply(200, json=HEALTHY))
    ctx = context()
    value = sensor(http_server, expected_response={"status": "healthy", "version": "1.0"}).execute(ctx)
    assert (value["status"], value["json"]) == (200, HEALTHY)
    assert ctx["ti"].xcoms[REPORT_XCOM_KEY]["outcome"] == "met"


def test_a_forbidden_answer_fails_the_task_at_once(http_server) -> None:
    http_server.script("/api/health", Reply(403, body="forbidden"))
    with pytest.raises(AirflowFailException, match="403"):
        sensor(http_server).execute(context())


async def test_poke_mode_gives_the_same_answers_as_the_trigger(http_server) -> None:
    steps = (Reply(503, json=MAINTENANCE), Reply(200, json={"status": "starting"}), Reply(200, json=HEALTHY))
    http_server.script("/api/health", *steps)
    poking = sensor(http_server, deferrable=False, expected_response={"status": "healthy"})
    pokes = [poking.poke(context()) for _ in steps]
    http_server.script("/api/health", *steps)
    check = poking.build_check().to_dict()
    report = await HttpHealthTrigger(check=check, cadence=Fixed(0.01).to_dict()).make_loop().run()
    assert [bool(p) for p in pokes] == [False, False, True]
    assert pokes[-1].xcom_value["json"] == report.value["json"] == HEALTHY
    assert [(a.outcome, a.error) for a in report.history] == [("not_yet", "HTTP503"), ("not_yet", None), ("met", None)]


@pytest.mark.parametrize("deferrable", [pytest.param(True, id="deferrable"), pytest.param(False, id="poke")])
def test_a_credential_header_is_refused_pointing_to_a_connection(http_server, deferrable) -> None:
    with pytest.raises(ConfigurationError, match=r"^headers: 'Authorization' looks like a credential.*http_conn_id"):
        sensor(http_server, headers={"Authorization": f"Bearer {TOKEN}"}, deferrable=deferrable)


def test_the_refusal_in_poke_mode_gives_a_reason_that_holds_there(http_server) -> None:
    """Poke mode has no trigger kwargs; the DAG's code is stored in every mode."""
    with pytest.raises(ConfigurationError, match=r"stored in Airflow's metadata DB in every mode: in the DAG's code"):
        sensor(http_server, headers={"Authorization": f"Bearer {TOKEN}"}, deferrable=False)


def test_a_bearer_token_from_a_connection_reaches_no_kwargs_event_xcom_or_log(
    http_server, monkeypatch, caplog, capsys
) -> None:
    conn = {"conn_type": "http", "host": "127.0.0.1", "port": http_server.port, "password": TOKEN}
    monkeypatch.setenv("AIRFLOW_CONN_SECRET_API", json.dumps(conn))

    def echo(status, body):
        # the server checks the token and echoes it back: a leak through the body would show
        def answer(request):
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return Reply(401)
            return Reply(status, json={**body, "echo": request.headers["Authorization"]})

        return answer

    http_server.script("/api/health", echo(503, MAINTENANCE), echo(503, MAINTENANCE), echo(200, HEALTHY))
    waiting = sensor(
        http_server,
        endpoint_url="/api/health",
        http_conn_id="secret_api",
        auth_type="bearer",
        expected_response={"status": "healthy"},
    )
    ctx = context()
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(TaskDeferred) as deferred:
            waiting.execute(ctx)
        _, kwargs = deferred.value.trigger.serialize()
        rebuilt = HttpHealthTrigger(**{**kwargs, "cadence": Fixed(0.01).to_dict()})
        report = asyncio.run(rebuilt.make_loop().run())
        event = report.to_event()
        value = waiting.execute_complete(ctx, event=event)
    assert (report.outcome, report.attempts) == ("met", 2)
    printed = capsys.readouterr()
    places = {
        "trigger kwargs": json.dumps(kwargs),
        "event": json.dumps(event),
        "xcom": json.dumps(ctx["ti"].xcoms) + json.dumps(value),
        "captured logs": caplog.text + printed.out + printed.err,
    }
    assert "Last response from" in places["captured logs"]  # the logs were captured at all
    assert [where for where, text in places.items() if TOKEN in text] == []


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        pytest.param({"endpoint_url": "/api/health"}, "endpoint_url", id="relative-without-connection"),
        pytest.param({"expected_status": 0}, "expected_status", id="status"),
        pytest.param({"expected_status": "200"}, "expected_status", id="status-string"),
        pytest.param({"request_timeout": 0}, "request_timeout", id="timeout"),
        pytest.param({"headers": {"X-Api-Key": "k"}}, "headers", id="api-key-header"),
        pytest.param({"auth_type": "digest", "http_conn_id": "x"}, "auth_type", id="auth-type"),
        pytest.param({"field_expectations": [("a", "~", 1)]}, "field_expectations", id="field-op"),
        pytest.param({"field_expectations": {"path": "a"}}, "field_expectations", id="fields-not-a-list"),
        pytest.param({"response_check": "nowhere.fn"}, "response_check", id="check-path"),
        pytest.param({"max_body_bytes": -1}, "max_body_bytes", id="cap"),
        pytest.param({"backoff_cap": 1}, "backoff_cap", id="base-argument"),
        pytest.param({"share_probe": "no"}, "share_probe", id="share-probe"),
    ],
)
def test_bad_arguments_fail_at_construction_naming_the_argument(http_server, kwargs, argument) -> None:
    with pytest.raises(ConfigurationError, match=f"^{argument}:"):
        sensor(http_server, **kwargs)


def test_share_probe_travels_to_the_trigger_and_defaults_on(http_server) -> None:
    assert sensor(http_server).build_check().share_probe is True
    with pytest.raises(TaskDeferred) as deferred:
        sensor(http_server, share_probe=False).execute(context())
    assert deferred.value.trigger.serialize()[1]["check"]["share_probe"] is False


def test_a_lambda_response_check_fails_at_parse_time_saying_how_to_fix_it(http_server) -> None:
    with pytest.raises(ConfigurationError, match="not the DAG file"):
        sensor(http_server, response_check=lambda response: True)


def test_field_expectations_and_a_status_set_reach_the_check(http_server) -> None:
    http_server.script("/api/catalog", Reply(200, json={"catalog": {"version": 101}}))
    waiting = sensor(
        http_server,
        endpoint_url=http_server.url("/api/catalog"),
        expected_status={200, 204},
        field_expectations=[("catalog.version", ">", 100)],
    )
    assert waiting.execute(context())["json"] == {"catalog": {"version": 101}}


@pytest.mark.parametrize(
    ("offset", "healthy"),
    [
        pytest.param(0, True, id="cycle-start"),
        pytest.param(59.9, True, id="end-of-healthy-half"),
        pytest.param(60, False, id="maintenance"),
        pytest.param(119.9, False, id="end-of-cycle"),
    ],
)
def test_the_mock_api_follows_the_seeds_schedule(offset, healthy) -> None:
    assert ApiSchedule(origin=1000.0).healthy(1000.0 + offset) is healthy


async def test_the_sensor_waits_through_the_mock_apis_maintenance_until_healthy() -> None:
    schedule = starting_in_maintenance(cycle=2.0, retry_after=True)  # 1 s of 503, then healthy
    with BackgroundServer(make_app(schedule)) as api:
        waiting = APIHealthSensor(
            task_id="wait_for_api",
            endpoint_url=api.url("/api/health"),
            expected_response={"status": "healthy", "version": "1.0"},
            poke_interval=0.1,
        )
        trigger = HttpHealthTrigger(check=waiting.build_check().to_dict(), cadence=waiting.build_cadence().to_dict())
        report = await trigger.make_loop().run()
    assert report.outcome == "met"
    assert report.history[0].error == "HTTP503"
    assert report.value["json"]["status"] == "healthy"


def test_the_mock_catalog_version_rises_past_100() -> None:
    schedule = ApiSchedule(catalog_start=99, catalog_step=10)
    assert [schedule.catalog_version(s) for s in (0, 9.9, 10, 25)] == [99, 99, 100, 101]


def test_a_response_check_defined_in_a_dag_file_fails_at_parse_time(http_server) -> None:
    # As Airflow loads a DAG file: under a generated name that is in sys.modules where it was parsed.
    module = types.ModuleType("unusual_prefix_0123abcd_pricing_dag")
    exec("def healthy(response):\n    return True\n", module.__dict__)
    sys.modules[module.__name__] = module
    try:
        with pytest.raises(ConfigurationError, match=r"^response_check: healthy is defined in a DAG file"):
            sensor(http_server, response_check=module.healthy)
    finally:
        del sys.modules[module.__name__]
