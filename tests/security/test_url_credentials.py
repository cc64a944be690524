"""No credential in a URL: refused at parse time pointing to http_conn_id, masked wherever a URL is shown."""

import logging

import pytest

from sensors import APIHealthSensor, MultiSourceReadinessSensor
from tests.support.http_server import Reply, http_server
from triggers.checks import check_once
from triggers.errors import ConfigurationError
from triggers.gather import CallableCheck
from triggers.http import HttpCheck
from triggers.outcomes import Met
from triggers.secret_names import masked_url

__all__ = ["http_server"]

SECRET = "s3cr3t-5e0c9d1a7b"
SECRET_QUERIES = [
    "key",
    "KEY",
    "api_key",
    "apikey",
    "token",
    "access_token",
    "auth",
    "sig",
    "signature",
    "password",
    "passwd",
    "secret",
    "client_secret",
    "X-Amz-Signature",
    "X-Amz-Credential",
    "X-Amz-Security-Token",
    "x-amz-date",
    "X-Goog-Signature",
    "subscription-key",
]


@pytest.mark.parametrize("name", SECRET_QUERIES)
def test_a_credential_query_parameter_is_refused_pointing_to_a_connection(name) -> None:
    with pytest.raises(ConfigurationError, match=rf"^endpoint_url: query parameter '{name}'.*http_conn_id") as raised:
        APIHealthSensor(task_id="t", endpoint_url=f"https://api.example/health?page=2&{name}={SECRET}")
    assert SECRET not in str(raised.value)


@pytest.mark.parametrize(
    "url", ["https://reader:pw@api.example/health", "https://reader@api.example/health", "http://:pw@h/x"]
)
def test_userinfo_is_refused_pointing_to_a_connection(url) -> None:
    with pytest.raises(ConfigurationError, match=r"^endpoint_url: user:password@.*http_conn_id") as raised:
        HttpCheck(url=url)
    assert "pw" not in str(raised.value).split("http_conn_id")[0].replace("password", "")


@pytest.mark.parametrize("name", ["page", "monkey", "sort", "q", "keyword", "author_name"])
def test_ordinary_query_parameters_are_accepted(name) -> None:
    assert HttpCheck(url=f"https://api.example/health?{name}=1").url.endswith(f"{name}=1")


def test_a_gather_condition_with_a_credential_url_is_refused_at_parse_time() -> None:
    with pytest.raises(ConfigurationError, match=r"query parameter 'sig'.*http_conn_id"):
        MultiSourceReadinessSensor(
            task_id="t", conditions={"catalog": HttpCheck(url=f"https://api.example/catalog?sig={SECRET}")}
        )


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        pytest.param(
            f"https://u:{SECRET}@h.example:8443/p?a=1&X-Amz-Signature={SECRET}&Token={SECRET}#f",
            "https://h.example:8443/p?a=1&X-Amz-Signature=***&Token=***#f",
            id="userinfo-and-query",
        ),
        pytest.param("https://h.example/p?a=1&b=two", "https://h.example/p?a=1&b=two", id="nothing-secret"),
        pytest.param(f"http://[::1]:80/p?sig={SECRET}", "http://[::1]:80/p?sig=***", id="ipv6"),
        pytest.param(f"/relative?key={SECRET}", "/relative?key=***", id="relative"),
    ],
)
def test_masked_url_removes_userinfo_and_masks_credential_values(url, masked) -> None:
    assert masked_url(url) == masked


async def test_a_redirect_to_a_signed_url_is_masked_in_the_value_report_and_log(http_server, caplog) -> None:
    signed = f"/bucket/file.json?X-Amz-Credential={SECRET}&X-Amz-Signature={SECRET}&access_token={SECRET}&v=1"
    http_server.script("/latest", Reply(302, headers={"Location": signed}))
    http_server.script("/bucket/file.json", Reply(200, json={"ok": True}))
    caplog.set_level(logging.DEBUG)
    outcome = await check_once(HttpCheck(url=http_server.url("/latest")), None)
    assert isinstance(outcome, Met)
    shown = (repr(outcome.value), repr(outcome.detail), caplog.text)
    assert [SECRET in text for text in shown] == [False, False, False]
    assert outcome.value["url"].endswith("X-Amz-Credential=***&X-Amz-Signature=***&access_token=***&v=1")


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        pytest.param({"api_token": SECRET}, "kwargs['api_token']", id="token-name"),
        pytest.param({"password": SECRET}, "kwargs['password']", id="password-name"),
        pytest.param({"options": {"clientSecret": SECRET}}, "kwargs['options']['clientSecret']", id="nested-name"),
        pytest.param({"access_key": SECRET}, "kwargs['access_key']", id="access-key"),
        pytest.param({"source": f"https://u:{SECRET}@h.example/x"}, "kwargs['source']", id="userinfo-url"),
        pytest.param(
            {"urls": ["https://h.example/a", f"https://h.example/x?sig={SECRET}"]},
            "kwargs['urls'][1]",
            id="signed-url-in-list",
        ),
    ],
)
def test_callable_kwargs_that_look_like_secrets_are_refused(kwargs, argument) -> None:
    with pytest.raises(ConfigurationError) as raised:
        CallableCheck("tests.triggers.gather.conditions.ready", kwargs)
    assert raised.value.argument == argument
    assert SECRET not in str(raised.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"author": "me", "sort_key": "id", "bucket_key": "a/b"}, id="ordinary-names"),
        pytest.param({"source": "https://h.example/x?page=2", "conn_id": "my_api"}, id="plain-url"),
    ],
)
def test_ordinary_callable_kwargs_are_accepted(kwargs) -> None:
    assert CallableCheck("tests.triggers.gather.conditions.ready", kwargs).kwargs == kwargs
