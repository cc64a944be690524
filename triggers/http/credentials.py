"""Where a request goes, with which credentials, TLS and proxy: resolved in the triggerer, never carried in kwargs.

Trigger kwargs sit in Airflow's metadata DB as plain text unless ``[core] fernet_key`` is set
(then Fernet-encrypted, still readable by whoever holds the table and the key), so a check
carries only a connection id. The connection (base URL, login/password, extras as headers) is
read when a wait starts, every secret in it is registered with Airflow's secrets masker, and
sessions are keyed by a one-way fingerprint of the credentials.

``verify``, ``cert`` and ``proxy`` / ``proxies`` come from the connection's extra, overridden by
the check's ``extra_options`` (see :mod:`triggers.http.options`). Certificate files are read into
an ``ssl.SSLContext`` in a worker thread (file reads, and a dead mount must not stall the loop),
once per wait. A proxy's credentials may sit in the connection's proxy URL: they are taken out
of the URL, sent as a ``Proxy-Authorization`` header and registered with the secrets masker.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote, urlsplit, urlunsplit

from triggers.compat import AirflowNotFoundException, aget_connection, amask_secret
from triggers.errors import ConfigurationError, PermanentError
from triggers.http.options import TRANSPORT_OPTIONS, validate_transport_options, with_params
from triggers.secret_names import looks_like_credential, masked_url

if TYPE_CHECKING:
    from triggers.http.check import HttpCheck

AuthType = Literal["basic", "bearer"]
AUTH_TYPES: tuple[str, ...] = ("basic", "bearer")

#: Connection extras that configure the HTTP provider's hook rather than naming a header.
_EXTRA_OPTIONS = frozenset(
    {"stream", "cert", "verify", "proxy", "proxies", "timeout", "allow_redirects", "max_redirects", "trust_env"}
    | {"check_response", "srv_lookup", "auth_type", "auth_kwargs", "headers"}
)


def origin_of(url: str) -> str:
    """Return ``scheme://host:port`` of ``url``."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{parts.hostname}:{port}"


@dataclass(frozen=True)
class HttpTarget:
    """A resolved request: the full URL, every header (auth included), TLS, proxy, and a fingerprint of them.

    ``ssl`` is what aiohttp takes: True (system CAs), False (no verification) or a context.
    """

    url: str
    headers: dict[str, str] = field(repr=False)
    identity: str
    ssl: ssl.SSLContext | bool
    proxy: str | None
    proxy_headers: dict[str, str] | None = field(repr=False)

    @property
    def origin(self) -> str:
        return origin_of(self.url)


async def resolve_http_target(check: HttpCheck) -> HttpTarget:
    """Return where to send ``check``'s request, with which headers, TLS and proxy; mask every secret found.

    Raises PermanentError when the connection is missing, cannot give what ``auth_type`` needs,
    has invalid options, or a certificate cannot be loaded.
    """
    url, conn_id, headers = check.url, check.http_conn_id, dict(check.headers)
    extra: Mapping[str, Any] = {}
    secrets: dict[str, str] = {}
    chosen = None
    if conn_id is not None:
        try:
            conn = await aget_connection(conn_id)
        except AirflowNotFoundException as error:
            raise PermanentError(f"connection {conn_id!r} is not defined") from error
        url = _join(_base_url(conn.host, conn.schema, conn.port), url, conn_id)
        extra = conn.extra_dejson or {}
        headers = {}
        for name, value in extra.items():
            if name not in _EXTRA_OPTIONS and isinstance(value, (str, int, float)) and not isinstance(value, bool):
                headers[name] = str(value)
                if looks_like_credential(name):
                    secrets[name] = str(value)
        headers.update(check.headers)
        chosen = check.auth_type or ("basic" if conn.login else None)
        if chosen == "basic":
            if not conn.login:
                raise PermanentError(f"connection {conn_id!r} has no login for basic auth")
            headers["Authorization"] = secrets["Authorization"] = _basic(conn.login, conn.password or "")
        elif chosen == "bearer":
            if not conn.password:
                raise PermanentError(f"connection {conn_id!r} has no password to use as the bearer token")
            headers["Authorization"] = secrets["Authorization"] = f"Bearer {conn.password}"
        for secret in (conn.password, *secrets.values(), *(v.split(" ", 1)[-1] for v in secrets.values())):
            if secret:
                await amask_secret(secret)
    try:
        given = {name: extra[name] for name in TRANSPORT_OPTIONS if name in extra}
        options = validate_transport_options(given, f"connection {conn_id!r} extra")
    except ConfigurationError as error:
        raise PermanentError(str(error)) from error
    if "proxy" in check.extra_options or "proxies" in check.extra_options:
        options.pop("proxy", None)
        options.pop("proxies", None)
    options.update(check.extra_options)
    context = await _ssl_for(options.get("verify", True), options.get("cert"))
    proxy, proxy_headers = await _proxy_for(urlsplit(url).scheme, options)
    transport = repr((options.get("verify", True), options.get("cert"), proxy))
    identity = _fingerprint(conn_id, chosen, secrets, transport)
    return HttpTarget(with_params(url, check.request_params), headers, identity, context, proxy, proxy_headers)


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


def _basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


def _fingerprint(conn_id: str | None, auth_type: str | None, secrets: Mapping[str, str], transport: str) -> str:
    """Return a one-way digest naming these credentials and transport, so sessions never mix identities."""
    material = repr((conn_id, auth_type, sorted(secrets.items()), transport)).encode()
    return hashlib.sha256(material).hexdigest()[:16]


async def _ssl_for(verify: bool | str, cert: str | list[str] | None) -> ssl.SSLContext | bool:
    if cert is None and isinstance(verify, bool):
        return verify  # aiohttp's own defaults: the system's CAs, or no verification
    try:
        return await asyncio.to_thread(_load_context, verify, cert)
    except (OSError, ssl.SSLError) as error:
        raise PermanentError(
            f"cannot load the CA bundle or client certificate ({type(error).__name__}: {error})"
        ) from error


def _load_context(verify: bool | str, cert: str | list[str] | None) -> ssl.SSLContext:
    """Return an SSL context trusting ``verify`` (a CA bundle path) and presenting ``cert``; reads files."""
    context = ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)
    if verify is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert is not None:
        certfile, keyfile = (cert, None) if isinstance(cert, str) else (cert[0], cert[1])
        context.load_cert_chain(certfile, keyfile)
    return context


async def _proxy_for(scheme: str, options: Mapping[str, Any]) -> tuple[str | None, dict[str, str] | None]:
    """Return the proxy URL for ``scheme`` without userinfo, and the masked Proxy-Authorization its userinfo gives."""
    proxies = options.get("proxies") or {}
    chosen = options.get("proxy") or proxies.get(scheme) or proxies.get("all")
    if not chosen:
        return None, None
    parts = urlsplit(chosen)
    if parts.username is None and parts.password is None:
        return chosen, None
    host = parts.hostname or ""
    netloc = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
    password = unquote(parts.password or "")
    authorization = _basic(unquote(parts.username or ""), password)
    for secret in (password, authorization.split(" ", 1)[1]):
        if secret:
            await amask_secret(secret)
    bare = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return bare, {"Proxy-Authorization": authorization}
