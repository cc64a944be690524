"""Request options as HttpSensor users expect them: method and body, request_params, TLS and proxy from the connection.

Real servers on loopback: the scripted aiohttp server, an HTTPS server with a CA made here, and a
tiny forward proxy.
"""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from airflow.sdk._shared.secrets_masker import redact

from sensors import APIHealthSensor
from tests.support.http_server import Reply
from tests.support.tls import ForwardProxy, Pki, TlsServer, make_pki, server_context
from triggers.checks import check_once
from triggers.errors import ConfigurationError
from triggers.http import HttpCheck
from triggers.outcomes import Met

PROXY_PASSWORD = "proxy-Pa55-4c1e9a"


@pytest.fixture
def connection(monkeypatch):
    """Define connection ``conn_id`` (AIRFLOW_CONN_*) from its fields; return the id."""

    def define(conn_id: str, **fields) -> str:
        fields.setdefault("conn_type", "http")
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(fields))
        return conn_id

    return define


def echo(seen: list) -> object:
    """A responder recording (method, query, content type, body) and answering 200."""

    async def answer(request: web.Request) -> Reply:
        seen.append((request.method, request.query_string, request.content_type, await request.text()))
        return Reply(200, json={"ok": True})

    return answer


async def test_post_with_a_json_body(http_server) -> None:
    seen: list = []
    http_server.script("/api/jobs", echo(seen))
    check = HttpCheck(url=http_server.url("/api/jobs"), method="POST", json={"job": 7, "tags": ["a"]})
    assert isinstance(await check_once(check, None), Met)
    method, _, content_type, body = seen[0]
    assert (method, content_type, json.loads(body)) == ("POST", "application/json", {"job": 7, "tags": ["a"]})


async def test_post_with_a_form_body(http_server) -> None:
    seen: list = []
    http_server.script("/api/jobs", echo(seen))
    check = HttpCheck(url=http_server.url("/api/jobs"), method="post", data={"job": 7, "tag": ["a", "b"]})
    assert isinstance(await check_once(check, None), Met)
    assert seen == [("POST", "", "application/x-www-form-urlencoded", "job=7&tag=a&tag=b")]


async def test_request_params_are_merged_with_the_urls_query(http_server) -> None:
    seen: list = []
    http_server.script("/api/health", echo(seen))
    check = HttpCheck(url=http_server.url("/api/health?a=1"), request_params={"b": 2, "c": ["x", "y"], "d": True})
    assert isinstance(await check_once(check, None), Met)
    assert seen[0][:2] == ("GET", "a=1&b=2&c=x&c=y&d=true")


def test_the_sensor_passes_the_options_to_its_check() -> None:
    sensor = APIHealthSensor(
        task_id="t",
        endpoint_url="https://api.example/jobs",
        method="PUT",
        data="raw text",
        request_params={"page": 2},
        extra_options={"verify": False},
    )
    check = sensor.build_check()
    assert (check.method, check.data, check.request_params, check.extra_options) == (
        "PUT",
        "raw text",
        {"page": 2},
        {"verify": False},
    )
    assert HttpCheck.from_dict(json.loads(json.dumps(check.to_dict()))) == check


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        pytest.param({"method": "TRACE"}, "method", id="unknown-method"),
        pytest.param({"json": {"a": 1}}, "json", id="body-with-get"),
        pytest.param({"method": "POST", "data": "x", "json": {}}, "json", id="both-bodies"),
        pytest.param({"method": "POST", "data": {"a": {"b": 1}}}, "data", id="nested-form"),
        pytest.param({"method": "POST", "json": {"password": "x"}}, "json['password']", id="secret-in-json"),
        pytest.param({"method": "POST", "data": {"api_token": "x"}}, "data['api_token']", id="secret-in-form"),
        pytest.param({"request_params": {"access_token": "x"}}, "request_params", id="secret-param"),
        pytest.param({"request_params": {"a": {"b": 1}}}, "request_params", id="nested-param"),
        pytest.param({"extra_options": {"stream": True}}, "extra_options", id="unknown-option"),
        pytest.param({"extra_options": {"timeout": 3}}, "extra_options", id="timeout-option"),
        pytest.param({"extra_options": {"verify": 1}}, "extra_options['verify']", id="verify-type"),
        pytest.param({"extra_options": {"cert": ["a"]}}, "extra_options['cert']", id="cert-pair"),
        pytest.param({"extra_options": {"proxy": "socks5://h:1"}}, "extra_options['proxy']", id="proxy-scheme"),
        pytest.param(
            {"extra_options": {"proxies": {"http": "http://u:pw@h:3128"}}},
            "extra_options['proxies']['http']",
            id="proxy-credentials",
        ),
    ],
)
def test_bad_options_fail_at_parse_time_naming_the_argument(kwargs, argument) -> None:
    with pytest.raises(ConfigurationError) as raised:
        HttpCheck(url="http://127.0.0.1:1/api", **kwargs)
    assert raised.value.argument == argument


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("harden-secrets-pki"))


async def healthy(request: web.Request) -> web.Response:
    return web.json_response({"status": "healthy"})


def tls_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/health", healthy)
    return app


@pytest.fixture
def tls_server(pki) -> Iterator[TlsServer]:
    with TlsServer(tls_app(), server_context(pki)) as server:
        yield server


@pytest.fixture
def mutual_tls_server(pki) -> Iterator[TlsServer]:
    with TlsServer(tls_app(), server_context(pki, require_client_cert=True)) as server:
        yield server


async def test_tls_verified_with_the_connections_ca_bundle(tls_server, pki, connection) -> None:
    conn_id = connection("tls_ca", host="127.0.0.1", schema="https", port=tls_server.port, extra={"verify": pki.ca})
    check = HttpCheck(url="/health", http_conn_id=conn_id)
    assert isinstance(await check_once(check, None), Met)
    assert pki.ca not in json.dumps(check.to_dict())  # resolved in the triggerer, not carried in kwargs


async def test_an_unknown_ca_fails_at_once_unless_verify_is_off(tls_server) -> None:
    refused = await check_once(HttpCheck(url=tls_server.url("/health")), None)
    assert (refused.kind, "TLS" in refused.reason) == ("failed", True)
    unverified = HttpCheck(url=tls_server.url("/health"), extra_options={"verify": False})
    assert isinstance(await check_once(unverified, None), Met)


async def test_verify_false_in_the_connection_is_honoured(tls_server, connection) -> None:
    conn_id = connection("tls_off", host="127.0.0.1", schema="https", port=tls_server.port, extra={"verify": False})
    assert isinstance(await check_once(HttpCheck(url="/health", http_conn_id=conn_id), None), Met)


async def test_a_client_certificate_from_the_connection_is_presented(mutual_tls_server, pki, connection) -> None:
    port = mutual_tls_server.port
    with_cert = connection(
        "mtls",
        host="127.0.0.1",
        schema="https",
        port=port,
        extra={"verify": pki.ca, "cert": [pki.client_cert, pki.client_key]},
    )
    without = connection("no_mtls", host="127.0.0.1", schema="https", port=port, extra={"verify": pki.ca})
    assert isinstance(await check_once(HttpCheck(url="/health", http_conn_id=with_cert), None), Met)
    assert (await check_once(HttpCheck(url="/health", http_conn_id=without), None)).kind != "met"


async def test_a_missing_ca_bundle_fails_at_once_naming_the_problem(tls_server, tmp_path) -> None:
    missing = str(tmp_path / "nowhere.pem")
    outcome = await check_once(HttpCheck(url=tls_server.url("/health"), extra_options={"verify": missing}), None)
    assert (outcome.kind, "CA bundle" in outcome.reason) == ("failed", True)


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    with ForwardProxy() as server:
        yield server


async def test_requests_go_through_the_connections_proxy_with_its_credentials_masked(
    http_server, proxy, connection
) -> None:
    http_server.script("/api/health", Reply(200, json={"ok": True}))
    proxy_url = f"http://reader:{PROXY_PASSWORD}@127.0.0.1:{proxy.port}"
    conn_id = connection("via_proxy", host="127.0.0.1", port=http_server.port, extra={"proxies": {"http": proxy_url}})
    check = HttpCheck(url="/api/health", http_conn_id=conn_id, request_params={"probe": 1})
    assert isinstance(await check_once(check, None), Met)
    assert [url for url, _ in proxy.seen] == [http_server.url("/api/health?probe=1")]
    assert str(proxy.seen[0][1]).startswith("Basic ")
    assert http_server.count("/api/health") == 1
    assert PROXY_PASSWORD not in redact(f"proxy password {PROXY_PASSWORD}")


async def test_extra_options_proxy_overrides_the_connection(http_server, proxy) -> None:
    http_server.script("/api/health", Reply(200, json={"ok": True}))
    check = HttpCheck(url=http_server.url("/api/health"), extra_options={"proxy": f"http://127.0.0.1:{proxy.port}"})
    assert isinstance(await check_once(check, None), Met)
    assert proxy.seen == [(http_server.url("/api/health"), None)]


def test_a_certificate_path_is_not_a_file_the_sensor_reads_at_parse_time(tmp_path: Path) -> None:
    check = HttpCheck(url="https://api.example/x", extra_options={"verify": str(tmp_path / "later.pem")})
    assert check.extra_options == {"verify": str(tmp_path / "later.pem")}
