"""HttpCheck against a real aiohttp server on loopback: one behaviour per test."""

import socket

import pytest

from tests.support.http_server import LoopbackServer, Reply
from triggers.checks import check_once
from triggers.errors import ConfigurationError
from triggers.http import FieldExpectation, HttpCheck
from triggers.outcomes import Failed, Met, NotYet

HEALTHY = {"status": "healthy", "version": "1.0", "timestamp": "2024-01-01T10:00:00"}
MAINTENANCE = {"status": "maintenance", "message": "API under maintenance"}


def check_for(server: LoopbackServer, path: str = "/api/health", **kwargs) -> HttpCheck:
    return HttpCheck(url=server.url(path), **kwargs)


async def test_a_healthy_answer_is_met_with_a_json_summary(http_server) -> None:
    http_server.script("/api/health", Reply(200, json=HEALTHY))
    outcome = await check_once(check_for(http_server, expected_json={"status": "healthy", "version": "1.0"}), None)
    assert isinstance(outcome, Met)
    assert outcome.value["status"] == 200
    assert outcome.value["json"] == HEALTHY
    assert outcome.value["latency_ms"] >= 0
    assert outcome.detail["last_response"]["status"] == 200


@pytest.mark.parametrize(
    ("reply", "kind", "error"),
    [
        pytest.param(Reply(503, json=MAINTENANCE), "not_yet", "HTTP503", id="503"),
        pytest.param(Reply(500), "not_yet", "HTTP500", id="500"),
        pytest.param(Reply(429), "not_yet", "HTTP429", id="429"),
        pytest.param(Reply(404), "not_yet", "HTTP404", id="404-not-yet-by-default"),
        pytest.param(Reply(403), "failed", "HttpStatus", id="403-permanent"),
        pytest.param(Reply(401), "failed", "HttpStatus", id="401-permanent"),
        pytest.param(Reply(400), "failed", "HttpStatus", id="400-unexpected"),
    ],
)
async def test_statuses_are_classified(http_server, reply, kind, error) -> None:
    http_server.script("/api/health", reply)
    outcome = await check_once(check_for(http_server), None)
    assert (outcome.kind, outcome.error) == (kind, error)


async def test_the_status_sets_are_configurable(http_server) -> None:
    http_server.script("/api/health", Reply(403))
    check = check_for(http_server, permanent_statuses=(), not_yet_statuses=(403,))
    assert (await check_once(check, None)).kind == "not_yet"


async def test_an_unexpected_status_fails_saying_how_to_make_it_a_not_yet(http_server) -> None:
    http_server.script("/api/health", Reply(418, body="short and stout"))
    outcome = await check_once(check_for(http_server), None)
    assert isinstance(outcome, Failed)
    assert "not_yet_statuses" in outcome.reason
    assert "short and stout" in outcome.reason


async def test_a_set_of_expected_statuses_is_accepted(http_server) -> None:
    http_server.script("/api/health", Reply(204))
    assert isinstance(await check_once(check_for(http_server, expected_status={200, 204}), None), Met)


@pytest.mark.parametrize(
    ("status", "header", "expected"),
    [
        pytest.param(503, "7", 7.0, id="503-seconds"),
        pytest.param(429, "3", 3.0, id="429-seconds"),
        pytest.param(503, "Wed, 21 Oct 2015 07:28:00 GMT", 0.0, id="date-in-the-past"),
        pytest.param(503, "soon", None, id="unparsable"),
        pytest.param(500, "7", None, id="ignored-on-500"),
    ],
)
async def test_retry_after_is_read_on_429_and_503(http_server, status, header, expected) -> None:
    http_server.script("/api/health", Reply(status, headers={"Retry-After": header}))
    outcome = await check_once(check_for(http_server), None)
    assert isinstance(outcome, NotYet)
    assert outcome.retry_after == expected


async def test_a_response_slower_than_request_timeout_is_a_transient_timeout(http_server) -> None:
    http_server.script("/api/health", Reply(200, json=HEALTHY, delay=2.0))
    outcome = await check_once(check_for(http_server, request_timeout=0.2), None)
    assert (outcome.kind, outcome.error) == ("not_yet", "ResponseTimeout")
    assert "request_timeout=0.2s" in outcome.reason


async def test_a_refused_connection_is_transient() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    outcome = await check_once(HttpCheck(url=f"http://127.0.0.1:{port}/api/health"), None)
    assert (outcome.kind, outcome.error) == ("not_yet", "Unreachable")


async def test_a_name_that_does_not_resolve_is_transient() -> None:
    # .invalid never resolves (RFC 6761); the resolver answers at once, no network needed
    outcome = await check_once(HttpCheck(url="http://api.invalid/api/health", request_timeout=5), None)
    assert (outcome.kind, outcome.error) == ("not_yet", "HostNotFound")


async def test_invalid_json_is_a_transient_not_yet(http_server) -> None:
    http_server.script("/api/health", Reply(200, body="<html>maintenance</html>"))
    outcome = await check_once(check_for(http_server, expected_json={"status": "healthy"}), None)
    assert (outcome.kind, outcome.error) == ("not_yet", "InvalidJSON")
    assert "<html>maintenance</html>" in outcome.reason


async def test_a_body_that_does_not_match_is_a_clean_not_yet_naming_the_field(http_server) -> None:
    http_server.script("/api/health", Reply(200, json={"status": "degraded", "version": "1.0"}))
    outcome = await check_once(check_for(http_server, expected_json={"status": "healthy"}), None)
    assert (outcome.kind, outcome.error) == ("not_yet", None)
    assert "status: expected 'healthy', got 'degraded'" in outcome.reason


@pytest.mark.parametrize(
    ("body", "chunked"),
    [pytest.param(b"x" * 5000, False, id="content-length"), pytest.param(b"x" * 5000, True, id="chunked")],
)
async def test_an_oversized_body_fails_when_the_body_must_be_judged(http_server, body, chunked) -> None:
    http_server.script("/api/health", Reply(200, body=body, chunked=chunked))
    check = check_for(http_server, expected_json={"status": "healthy"}, max_body_bytes=1024)
    outcome = await check_once(check, None)
    assert (outcome.kind, outcome.error) == ("failed", "BodyTooLarge")
    assert "max_body_bytes=1024" in outcome.reason


async def test_an_oversized_body_is_met_without_it_when_only_the_status_counts(http_server) -> None:
    http_server.script("/api/health", Reply(200, body=b"x" * 5000))
    outcome = await check_once(check_for(http_server, max_body_bytes=1024), None)
    assert isinstance(outcome, Met)
    assert (outcome.value["truncated"], outcome.value["json"]) == (True, None)


async def test_a_redirect_is_followed_and_shown_in_the_summary(http_server) -> None:
    http_server.script("/old/health", Reply(302, headers={"Location": "/api/health"}))
    http_server.script("/api/health", Reply(200, json=HEALTHY))
    outcome = await check_once(check_for(http_server, "/old/health"), None)
    assert isinstance(outcome, Met)
    assert (outcome.value["redirects"], outcome.value["url"]) == (1, http_server.url("/api/health"))


async def test_a_redirect_not_followed_fails_as_unexpected(http_server) -> None:
    http_server.script("/old/health", Reply(302, headers={"Location": "/api/health"}))
    outcome = await check_once(check_for(http_server, "/old/health", follow_redirects=False), None)
    assert (outcome.kind, outcome.error) == ("failed", "HttpStatus")
    assert http_server.count("/api/health") == 0


@pytest.mark.parametrize(
    ("version", "kind"),
    [pytest.param(100, "not_yet", id="at-100"), pytest.param(101, "met", id="past-100")],
)
async def test_field_expectations_gate_the_answer(http_server, version, kind) -> None:
    http_server.script("/api/catalog", Reply(200, json={"catalog": {"version": version}}))
    check = check_for(http_server, "/api/catalog", fields=[FieldExpectation("catalog.version", ">", 100)])
    assert (await check_once(check, None)).kind == kind


@pytest.mark.parametrize(
    ("function", "body", "kind"),
    [
        pytest.param("version_over_100", {"catalog": {"version": 101}}, "met", id="sync-true"),
        pytest.param("version_over_100", {"catalog": {"version": 99}}, "not_yet", id="sync-false"),
        pytest.param("says_healthy", HEALTHY, "met", id="async-true"),
        pytest.param("explodes", HEALTHY, "not_yet", id="raises-transient"),
    ],
)
async def test_response_check_callables_judge_the_response(http_server, function, body, kind) -> None:
    http_server.script("/api/health", Reply(200, json=body))
    check = check_for(http_server, response_check=f"tests.triggers.http.response_checks.{function}")
    assert (await check_once(check, None)).kind == kind


async def test_a_response_check_that_edits_the_body_changes_neither_the_met_value_nor_the_response(
    http_server,
) -> None:
    http_server.script("/api/health", Reply(200, json=HEALTHY))
    check = check_for(http_server, response_check="tests.triggers.http.response_checks.keeps_what_it_likes")
    outcome = await check_once(check, None)
    assert isinstance(outcome, Met)
    assert outcome.value["json"] == HEALTHY


async def test_custom_headers_are_delivered(http_server) -> None:
    http_server.script("/api/health", Reply(200, json=HEALTHY))
    await check_once(check_for(http_server, headers={"Accept": "application/json", "X-Team": "data"}), None)
    received = http_server.requests("/api/health")[0].headers
    assert (received["Accept"], received["X-Team"]) == ("application/json", "data")


def test_round_trips_through_its_dict() -> None:
    check = HttpCheck(
        url="/api/catalog",
        http_conn_id="catalog_api",
        auth_type="bearer",
        expected_status={200, 204},
        fields=[("catalog.version", ">", 100)],
        headers={"Accept": "application/json"},
    )
    assert HttpCheck.from_dict(check.to_dict()) == check
    assert check.to_dict()["fields"] == [{"kind": "field", "path": "catalog.version", "op": ">", "value": 100}]


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        pytest.param({"url": "/api/health"}, "endpoint_url", id="relative-without-connection"),
        pytest.param({"url": "ftp://host/x"}, "endpoint_url", id="not-http"),
        pytest.param({"url": "http://u:p@host/x"}, "endpoint_url", id="userinfo"),
        pytest.param({"url": "http://host/x?api_key=abc"}, "endpoint_url", id="credential-query"),
        pytest.param({"headers": {"Authorization": "Bearer abc"}}, "headers", id="authorization-header"),
        pytest.param({"headers": {"X-Api-Key": "abc"}}, "headers", id="api-key-header"),
        pytest.param({"headers": {"Accept": "a\r\nX: b"}}, "headers", id="header-injection"),
        pytest.param({"expected_status": 700}, "expected_status", id="status-range"),
        pytest.param({"expected_status": "200"}, "expected_status", id="status-type"),
        pytest.param({"permanent_statuses": (200,)}, "permanent_statuses", id="overlap"),
        pytest.param({"request_timeout": 0}, "request_timeout", id="timeout"),
        pytest.param({"connect_timeout": -1}, "connect_timeout", id="connect-timeout"),
        pytest.param({"max_body_bytes": 0}, "max_body_bytes", id="cap"),
        pytest.param({"method": "TRACE"}, "method", id="method"),
        pytest.param({"method": "HEAD", "expected_json": {"a": 1}}, "method", id="head-with-body-check"),
        pytest.param({"auth_type": "bearer"}, "auth_type", id="auth-without-connection"),
        pytest.param({"response_check": "no.such.module.fn"}, "response_check", id="check-not-importable"),
        pytest.param({"response_check": lambda r: True}, "response_check", id="check-lambda"),
    ],
)
def test_bad_arguments_fail_at_construction_naming_the_argument(kwargs, argument) -> None:
    kwargs.setdefault("url", "http://127.0.0.1:1/api/health")
    with pytest.raises(ConfigurationError, match=f"^{argument}:"):
        HttpCheck(**kwargs)


def test_a_lambda_response_check_says_how_to_fix_it() -> None:
    with pytest.raises(ConfigurationError, match="module level"):
        HttpCheck(url="http://127.0.0.1:1/", response_check=lambda r: True)


def test_an_importable_function_is_stored_as_its_path() -> None:
    from tests.triggers.http.response_checks import version_over_100

    check = HttpCheck(url="http://127.0.0.1:1/", response_check=version_over_100)
    assert check.response_check == "tests.triggers.http.response_checks.version_over_100"
