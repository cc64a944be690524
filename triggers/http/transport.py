"""TLS and proxy settings of one wait, resolved in the triggerer from the connection's extra.

``verify`` (False, or a CA bundle path), ``cert`` (a client certificate path, or ``[cert, key]``)
and ``proxy`` / ``proxies`` come from the connection's extra, overridden by the check's
``extra_options`` (see :mod:`triggers.http.options`). Certificate files are read into an
``ssl.SSLContext`` in a worker thread (file reads, and a dead mount must not stall the loop),
once per wait. A proxy's credentials may sit in the connection's proxy URL: they are taken out
of the URL, sent as a ``Proxy-Authorization`` header and registered with Airflow's secrets masker.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from triggers.compat import amask_secret
from triggers.errors import ConfigurationError, PermanentError
from triggers.http.options import TRANSPORT_OPTIONS, validate_transport_options


@dataclass(frozen=True)
class Transport:
    """How requests travel: ``ssl`` for aiohttp (True: system CAs, False: no verification, or a context)."""

    ssl: ssl.SSLContext | bool = True
    proxy: str | None = None
    proxy_headers: dict[str, str] | None = field(default=None, repr=False)
    #: What distinguishes this transport in a session key (paths and proxy origin; no secret).
    identity: str = ""


async def resolve_transport(
    url: str, connection_extra: Mapping[str, Any], overrides: Mapping[str, Any], conn_id: str | None
) -> Transport:
    """Return the TLS and proxy settings for requests to ``url``.

    Raises PermanentError when the connection's options are invalid or a certificate cannot be loaded.
    """
    given = {name: connection_extra[name] for name in TRANSPORT_OPTIONS if name in connection_extra}
    try:
        options = validate_transport_options(given, f"connection {conn_id!r} extra")
    except ConfigurationError as error:
        raise PermanentError(str(error)) from error
    if "proxy" in overrides or "proxies" in overrides:
        options.pop("proxy", None)
        options.pop("proxies", None)
    options.update(overrides)
    context = await _ssl_for(options.get("verify", True), options.get("cert"))
    proxy, login, password = _proxy_for(urlsplit(url).scheme, options)
    headers = None
    if login is not None:
        pair = base64.b64encode(f"{login}:{password}".encode()).decode()
        headers = {"Proxy-Authorization": f"Basic {pair}"}
        for secret in (password, pair):
            if secret:
                await amask_secret(secret)
    identity = repr((options.get("verify", True), options.get("cert"), proxy))
    return Transport(context, proxy, headers, identity)


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


def _proxy_for(scheme: str, options: Mapping[str, Any]) -> tuple[str | None, str | None, str]:
    """Return the proxy URL for ``scheme`` without userinfo, and the login and password it held."""
    proxies = options.get("proxies") or {}
    chosen = options.get("proxy") or proxies.get(scheme) or proxies.get("all")
    if not chosen:
        return None, None, ""
    parts = urlsplit(chosen)
    if parts.username is None and parts.password is None:
        return chosen, None, ""
    host = parts.hostname or ""
    netloc = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
    bare = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return bare, unquote(parts.username or ""), unquote(parts.password or "")
