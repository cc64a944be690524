"""Where a request goes and with which credentials, resolved in the triggerer, never carried in kwargs.

Trigger kwargs sit in Airflow's metadata DB as plain text unless ``[core] fernet_key`` is set
(then Fernet-encrypted, still readable by whoever holds the table and the key), so a check
carries only a connection id. The
connection (base URL, login/password, extras as headers) is read when a wait starts, every
secret in it is registered with Airflow's secrets masker, and sessions are keyed by a one-way
fingerprint of the credentials.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from triggers.compat import AirflowNotFoundException, aget_connection, amask_secret
from triggers.errors import ConfigurationError, PermanentError
from triggers.http.transport import Transport, resolve_transport
from triggers.secret_names import KWARGS_EXPOSED, looks_like_credential, masked_url, refuse_credential_url

AuthType = Literal["basic", "bearer"]
AUTH_TYPES: tuple[str, ...] = ("basic", "bearer")

#: Connection extras that configure the HTTP provider's hook rather than naming a header.
_EXTRA_OPTIONS = frozenset(
    {"stream", "cert", "verify", "proxy", "proxies", "timeout", "allow_redirects", "max_redirects", "trust_env"}
    | {"check_response", "srv_lookup", "auth_type", "auth_kwargs", "headers"}
)


def refuse_credentials_in(url: str, headers: Mapping[str, str]) -> None:
    """Raise ConfigurationError when ``url`` or ``headers`` would put a secret into trigger kwargs."""
    refuse_credential_url(url, "endpoint_url")
    for name in headers:
        if looks_like_credential(name):
            raise ConfigurationError(
                "headers",
                f"{name!r} looks like a credential: {KWARGS_EXPOSED}. Put it in an "
                "Airflow HTTP connection and pass http_conn_id: a token as the password with "
                "auth_type='bearer', a login/password with auth_type='basic', or any other header in "
                "the connection's extra",
            )


def validate_url(url: Any, *, relative_allowed: bool) -> None:
    """Raise ConfigurationError unless ``url`` is http(s), or relative when a connection gives the base."""
    if not isinstance(url, str) or not url.strip():
        raise ConfigurationError("endpoint_url", f"must be a non-empty string, got {url!r}")
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.hostname:
        return
    if parts.scheme or parts.netloc:
        raise ConfigurationError("endpoint_url", f"must be an http:// or https:// URL, got {masked_url(url)!r}")
    if not relative_allowed:
        raise ConfigurationError(
            "endpoint_url",
            f"{masked_url(url)!r} is relative: give an absolute http(s) URL, or http_conn_id for the base URL",
        )


def origin_of(url: str) -> str:
    """Return ``scheme://host:port`` of ``url``."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{parts.hostname}:{port}"


@dataclass(frozen=True)
class HttpTarget:
    """A resolved request: the full URL, every header (auth included), TLS/proxy and the credentials' fingerprint."""

    url: str
    headers: dict[str, str] = field(repr=False)
    identity: str = ""
    transport: Transport = field(default_factory=Transport)

    @property
    def origin(self) -> str:
        return origin_of(self.url)


async def resolve_http_target(
    url: str,
    headers: Mapping[str, str],
    conn_id: str | None,
    auth_type: AuthType | None,
    extra_options: Mapping[str, Any] | None = None,
) -> HttpTarget:
    """Return where to send the request, with which headers, TLS and proxy; mask every secret found.

    Raises PermanentError when the connection is missing or cannot give what ``auth_type`` needs.
    """
    if conn_id is None:
        transport = await resolve_transport(url, {}, extra_options or {}, None)
        return HttpTarget(url, dict(headers), _fingerprint(None, None, {}, transport.identity), transport)
    try:
        conn = await aget_connection(conn_id)
    except AirflowNotFoundException as error:
        raise PermanentError(f"connection {conn_id!r} is not defined") from error
    full_url = _join(_base_url(conn.host, conn.schema, conn.port), url, conn_id)
    merged: dict[str, str] = {}
    secrets: dict[str, str] = {}
    for name, value in (conn.extra_dejson or {}).items():
        if name not in _EXTRA_OPTIONS and isinstance(value, (str, int, float)) and not isinstance(value, bool):
            merged[name] = str(value)
            if looks_like_credential(name):
                secrets[name] = str(value)
    merged.update(headers)
    chosen = auth_type or ("basic" if conn.login else None)
    if chosen == "basic":
        if not conn.login:
            raise PermanentError(f"connection {conn_id!r} has no login for basic auth")
        pair = base64.b64encode(f"{conn.login}:{conn.password or ''}".encode()).decode()
        merged["Authorization"] = secrets["Authorization"] = f"Basic {pair}"
    elif chosen == "bearer":
        if not conn.password:
            raise PermanentError(f"connection {conn_id!r} has no password to use as the bearer token")
        merged["Authorization"] = secrets["Authorization"] = f"Bearer {conn.password}"
    for secret in (conn.password, *secrets.values(), *(v.split(" ", 1)[-1] for v in secrets.values())):
        if secret:
            await amask_secret(secret)
    transport = await resolve_transport(full_url, conn.extra_dejson or {}, extra_options or {}, conn_id)
    return HttpTarget(full_url, merged, _fingerprint(conn_id, chosen, secrets, transport.identity), transport)


def _base_url(host: str | None, schema: str | None, port: int | None) -> str | None:
    if not host:
        return None
    base = host if "://" in host else f"{schema or 'http'}://{host}"
    return f"{base.rstrip('/')}:{port}" if port else base.rstrip("/")


def _join(base: str | None, url: str, conn_id: str) -> str:
    if urlsplit(url).scheme:
        if base is not None and origin_of(base) != origin_of(url):
            raise PermanentError(
                f"endpoint_url is on {origin_of(url)} but connection {conn_id!r} is for {origin_of(base)}: "
                "its credentials are not sent to another host"
            )
        return url
    if base is None:
        raise PermanentError(f"endpoint_url {masked_url(url)!r} is relative and connection {conn_id!r} has no host")
    return f"{base}/{url.lstrip('/')}"


def _fingerprint(conn_id: str | None, auth_type: str | None, secrets: Mapping[str, str], transport: str) -> str:
    """Return a one-way digest naming these credentials and transport, so sessions never mix identities."""
    material = repr((conn_id, auth_type, sorted(secrets.items()), transport)).encode()
    return hashlib.sha256(material).hexdigest()[:16]
