"""Request options named as the built-in HttpSensor / HttpHook name them, checked when the DAG is parsed.

``data`` (a form mapping, sent as ``application/x-www-form-urlencoded``, or text) or ``json`` goes
only with a method that carries a body; ``request_params`` are appended to the URL's query;
``extra_options`` (``verify``, ``cert``, ``proxy`` or ``proxies``, as requests names them) override
the connection's extra, read in the triggerer (:mod:`triggers.http.credentials`).

Every name in a body or in ``request_params`` that looks like a secret's is refused, like a
credential header: these travel in trigger kwargs. A proxy's credentials belong in the connection.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from triggers.errors import ConfigurationError
from triggers.secret_names import (
    KWARGS_EXPOSED,
    is_secret_query_name,
    looks_like_credential,
    masked_url,
    refuse_credential_url,
    refuse_secret_arguments,
)

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
#: Methods that carry no body: their parameters go in ``request_params``.
BODILESS_METHODS = ("GET", "HEAD", "OPTIONS")
#: The connection-extra / ``extra_options`` keys understood here (requests' names, as HttpHook uses them).
TRANSPORT_OPTIONS = ("verify", "cert", "proxy", "proxies")
#: HttpHook extra_options that have an argument of their own here.
_RENAMED = {"timeout": "request_timeout", "allow_redirects": "follow_redirects", "max_redirects": "follow_redirects"}

Scalar = str | int | float | bool


def statuses(value: Any, argument: str) -> tuple[int, ...]:
    """Return the HTTP status or statuses in ``value``, sorted; raise ConfigurationError naming ``argument``."""
    items = [value] if isinstance(value, int) else value
    if not isinstance(items, (list, tuple, set, frozenset)) or not all(
        isinstance(s, int) and not isinstance(s, bool) and 100 <= s <= 599 for s in items
    ):
        raise ConfigurationError(argument, f"must be an HTTP status (100-599) or a set of them, got {value!r}")
    return tuple(sorted(set(items)))


def validate_url(url: Any, *, relative_allowed: bool) -> None:
    """Raise ConfigurationError unless ``url`` is http(s) (or relative when a connection gives the
    base) and carries no credential."""
    if not isinstance(url, str) or not url.strip():
        raise ConfigurationError("endpoint_url", f"must be a non-empty string, got {url!r}")
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError("endpoint_url", f"must be an http:// or https:// URL, got {masked_url(url)!r}")
    elif not relative_allowed:
        raise ConfigurationError(
            "endpoint_url",
            f"{masked_url(url)!r} is relative: give an absolute http(s) URL, or http_conn_id for the base URL",
        )
    refuse_credential_url(url, "endpoint_url")


def validate_headers(headers: Any) -> dict[str, str]:
    """Return ``headers`` as a dict; raise ConfigurationError unless it maps names to single-line
    strings, none of them a credential's name."""
    headers = headers or {}
    if not isinstance(headers, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and "\n" not in k + v and "\r" not in k + v
        for k, v in headers.items()
    ):
        raise ConfigurationError("headers", f"must map header names to single-line strings, got {headers!r}")
    for name in headers:
        if looks_like_credential(name):
            raise ConfigurationError(
                "headers",
                f"{name!r} looks like a credential: {KWARGS_EXPOSED}. Put it in an "
                "Airflow HTTP connection and pass http_conn_id: a token as the password with "
                "auth_type='bearer', a login/password with auth_type='basic', or any other header in "
                "the connection's extra",
            )
    return dict(headers)


def validate_method(method: Any) -> str:
    """Return ``method`` in upper case; raise ConfigurationError unless it is a known HTTP method."""
    upper = method.upper() if isinstance(method, str) else method
    if upper not in METHODS:
        raise ConfigurationError("method", f"must be one of {', '.join(METHODS)}, got {method!r}")
    return str(upper)


def validate_body(method: str, data: Any, json_body: Any) -> Any:
    """Return ``data`` normalised (a mapping becomes a dict); raise ConfigurationError on a bad body."""
    if data is None and json_body is None:
        return None
    argument = "data" if data is not None else "json"
    if data is not None and json_body is not None:
        raise ConfigurationError("json", "give a form or text body (data) or a JSON body (json), not both")
    if method in BODILESS_METHODS:
        raise ConfigurationError(
            argument, f"{method} carries no body: use request_params for query parameters, or method='POST'"
        )
    if json_body is not None:
        require_json("json", json_body)
        refuse_secret_arguments(json_body, "json")
        return None
    if isinstance(data, str):
        return data
    form = _form(data, "data", "be text or map field names")
    refuse_secret_arguments(form, "data")
    return form


def require_json(argument: str, value: Any) -> None:
    """Raise ConfigurationError naming ``argument`` unless ``value`` is JSON: the check travels as JSON."""
    try:
        jsonlib.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ConfigurationError(argument, f"must be JSON (dicts, lists, text, numbers): {error}") from error


def validate_request_params(params: Any) -> dict[str, Any]:
    """Return ``params`` as a dict (list values as lists); raise ConfigurationError on a bad or secret one."""
    form = _form({} if params is None else params, "request_params", "map parameter names")
    for name in form:
        if is_secret_query_name(name):
            raise ConfigurationError(
                "request_params",
                f"{name!r} looks like a credential: {KWARGS_EXPOSED}; put it in an Airflow connection and pass "
                "http_conn_id instead",
            )
    return form


def validate_transport_options(options: Any, argument: str) -> dict[str, Any]:
    """Return the TLS and proxy options in ``options``; raise ConfigurationError naming ``argument``.

    Used for ``extra_options`` at parse time; the connection's extra goes through it in the triggerer.
    """
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise ConfigurationError(argument, f"must be a mapping of options, got {options!r:.100}")
    for name in options:
        if name in _RENAMED:
            raise ConfigurationError(argument, f"{name!r}: use the sensor's {_RENAMED[name]} argument instead")
        if name not in TRANSPORT_OPTIONS:
            raise ConfigurationError(argument, f"{name!r} is not one of {', '.join(TRANSPORT_OPTIONS)}")
    verify = options.get("verify", True)
    if not isinstance(verify, bool) and not _path(verify):
        raise ConfigurationError(f"{argument}['verify']", f"must be True, False or a CA bundle path, got {verify!r}")
    cert = options.get("cert")
    pair = isinstance(cert, (list, tuple)) and len(cert) == 2 and all(_path(p) for p in cert)
    if cert is not None and not _path(cert) and not pair:
        raise ConfigurationError(
            f"{argument}['cert']", f"must be a certificate path or [certificate, key] paths, got {cert!r}"
        )
    if "proxy" in options and "proxies" in options:
        raise ConfigurationError(argument, "give proxy (one URL) or proxies (per scheme), not both")
    proxies = options.get("proxies", {})
    proxy = options.get("proxy")
    if not isinstance(proxies, Mapping):
        raise ConfigurationError(f"{argument}['proxies']", f"must map 'http'/'https' to proxy URLs, got {proxies!r}")
    for scheme, url in ({"all": proxy} if proxy is not None else dict(proxies)).items():
        where = f"{argument}['proxy']" if proxy is not None else f"{argument}['proxies'][{scheme!r}]"
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise ConfigurationError(where, f"must be an http(s):// proxy URL, got {url!r:.100}")
        if argument == "extra_options":
            refuse_credential_url(url, where)
    return {name: list(value) if isinstance(value, tuple) else value for name, value in options.items()}


def form_encoded(data: Mapping[str, Any]) -> str:
    """Return ``data`` as an ``application/x-www-form-urlencoded`` body (list values repeat the name)."""
    return urlencode({k: _text(v) for k, v in data.items()}, doseq=True)


def with_params(url: str, params: Mapping[str, Any]) -> str:
    """Return ``url`` with ``params`` appended to its query (list values repeat the name)."""
    if not params:
        return url
    parts = urlsplit(url)
    added = form_encoded(params)
    query = f"{parts.query}&{added}" if parts.query else added
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _form(value: Any, argument: str, wanted: str) -> dict[str, Any]:
    """Return ``value`` as a dict (list values as lists); raise ConfigurationError unless it maps names
    to text, numbers or lists of them."""
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and all(isinstance(i, Scalar) for i in (v if isinstance(v, (list, tuple)) else [v]))
        for k, v in value.items()
    ):
        raise ConfigurationError(argument, f"must {wanted} to text, numbers or lists of them, got {value!r:.100}")
    return {k: list(v) if isinstance(v, (list, tuple)) else v for k, v in value.items()}


def _text(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return [_text(v) for v in value]
    return value


def _path(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())
