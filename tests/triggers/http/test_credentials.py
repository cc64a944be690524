"""Credentials come from an Airflow connection (here AIRFLOW_CONN_* variables), are delivered, and masked."""

import base64
import json

import pytest
from airflow.sdk._shared.secrets_masker import redact

from tests.support.http_server import Reply, require_headers
from triggers.checks import check_once
from triggers.http import HttpCheck
from triggers.secret_names import looks_like_credential

TOKEN = "tok-3f9a1c77e2d54b0b"


@pytest.fixture
def connection(monkeypatch, http_server):
    """Define connection ``conn_id`` pointing at the loopback server; return a function doing it."""

    def define(conn_id: str, **fields) -> str:
        fields.setdefault("conn_type", "http")
        fields.setdefault("host", "127.0.0.1")
        fields.setdefault("port", http_server.port)
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(fields))
        return conn_id

    return define


async def test_a_bearer_token_from_the_connection_is_delivered(http_server, connection) -> None:
    http_server.script("/api/health", require_headers({"Authorization": f"Bearer {TOKEN}"}, Reply(200, json={})))
    check = HttpCheck(url="/api/health", http_conn_id=connection("bearer_api", password=TOKEN), auth_type="bearer")
    assert (await check_once(check, None)).kind == "met"


async def test_basic_auth_from_the_connection_is_delivered(http_server, connection) -> None:
    pair = base64.b64encode(b"reader:pa55word-xyz").decode()
    http_server.script("/api/health", require_headers({"Authorization": f"Basic {pair}"}, Reply(200, json={})))
    conn_id = connection("basic_api", login="reader", password="pa55word-xyz")
    assert (await check_once(HttpCheck(url="/api/health", http_conn_id=conn_id), None)).kind == "met"


async def test_connection_extras_become_headers_and_the_check_headers_are_added(http_server, connection) -> None:
    expected = {"X-Api-Key": "key-0a1b2c3d4e", "Accept": "application/json"}
    http_server.script("/api/health", require_headers(expected, Reply(200, json={})))
    conn_id = connection("extras_api", extra={"X-Api-Key": "key-0a1b2c3d4e", "verify": False})
    check = HttpCheck(url="/api/health", http_conn_id=conn_id, headers={"Accept": "application/json"})
    assert (await check_once(check, None)).kind == "met"
    assert "verify" not in http_server.requests("/api/health")[0].headers


async def test_every_secret_of_the_connection_is_registered_with_the_masker(http_server, connection) -> None:
    http_server.script("/api/health", Reply(200, json={}))
    conn_id = connection("masked_api", password=TOKEN, extra={"X-Api-Key": "key-9z8y7x6w5v"})
    await check_once(HttpCheck(url="/api/health", http_conn_id=conn_id, auth_type="bearer"), None)
    masked = redact(f"Authorization: Bearer {TOKEN}; key key-9z8y7x6w5v; token alone {TOKEN}")
    assert (TOKEN in masked, "key-9z8y7x6w5v" in masked, masked.count("***")) == (False, False, 3)


@pytest.mark.parametrize(
    ("conn_fields", "url", "auth_type", "reason"),
    [
        pytest.param(None, "/api/health", None, "is not defined", id="missing-connection"),
        pytest.param({}, "/api/health", "bearer", "no password", id="bearer-without-token"),
        pytest.param({}, "/api/health", "basic", "no login", id="basic-without-login"),
        pytest.param({}, "http://other.example:80/api/health", None, "not sent to another host", id="other-host"),
        pytest.param({"host": ""}, "/api/health", None, "has no host", id="relative-without-host"),
    ],
)
async def test_a_connection_that_cannot_serve_fails_at_once(connection, conn_fields, url, auth_type, reason) -> None:
    conn_id = "unusable_api" if conn_fields is None else connection("unusable_api", **conn_fields)
    outcome = await check_once(HttpCheck(url=url, http_conn_id=conn_id, auth_type=auth_type), None)
    assert outcome.kind == "failed"
    assert reason in outcome.reason


async def test_a_full_url_on_the_connections_host_is_used_as_is(http_server, connection) -> None:
    http_server.script("/api/health", Reply(200, json={}))
    check = HttpCheck(url=http_server.url("/api/health"), http_conn_id=connection("same_host"))
    assert (await check_once(check, None)).kind == "met"


async def test_an_echoed_token_is_masked_in_the_met_value_and_report(http_server, connection) -> None:
    async def echo(request):
        return Reply(200, json={"seen": request.headers["Authorization"]})

    http_server.script("/api/health", echo)
    conn_id = connection("echo_api", password=TOKEN)
    outcome = await check_once(HttpCheck(url="/api/health", http_conn_id=conn_id, auth_type="bearer"), None)
    assert TOKEN not in json.dumps(outcome.value) + json.dumps(outcome.detail)


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        pytest.param("Authorization", True, id="authorization"),
        pytest.param("Proxy-Authorization", True, id="proxy-authorization"),
        pytest.param("X-API-Key", True, id="api-key"),
        pytest.param("X-Auth-Token", True, id="auth-token"),
        pytest.param("Cookie", True, id="cookie"),
        pytest.param("Accept", False, id="accept"),
        pytest.param("X-Request-Id", False, id="request-id"),
    ],
)
def test_credential_like_names_are_recognised(name, secret) -> None:
    assert looks_like_credential(name) is secret


@pytest.mark.parametrize("share_probe", [True, False])
async def test_a_rotated_token_reaches_a_long_wait_once_the_connection_is_read_again(
    http_server, connection, monkeypatch, share_probe
) -> None:
    new_token = "tok-rotated-8c1e5d"
    http_server.script("/api/health", require_headers({"Authorization": f"Bearer {new_token}"}, Reply(200, json={})))
    conn_id = connection("rotating_api", password=TOKEN)
    check = HttpCheck(url="/api/health", http_conn_id=conn_id, auth_type="bearer", share_probe=share_probe)
    async with check.opened() as probe:
        assert (await probe.check()).kind == "failed"  # 401 for the old token
        connection("rotating_api", password=new_token)
        assert (await probe.check()).kind == "failed"  # resolved 0 s ago: the old token still
        monkeypatch.setattr("triggers.http.check.RESOLVE_EVERY", 0.0)
        assert (await probe.check()).kind == "met"  # read again: the new token
    assert http_server.connections("/api/health") == 2  # a new identity, a session of its own
