"""One HTTP request on a held session: sent, its body read up to a cap, its failures typed.

Refused connections, DNS failures, timeouts and dropped connections raise transient errors (a
"not yet"); TLS failures, redirect loops and invalid redirect targets raise PermanentError.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any, Protocol

import aiohttp

from triggers.errors import PermanentError, TransientError
from triggers.http.credentials import HttpTarget
from triggers.http.options import form_encoded
from triggers.http.response import HttpResponse, read_capped
from triggers.secret_names import masked_url

log = logging.getLogger("triggers.http.check")

MAX_REDIRECTS = 10


class Request(Protocol):
    """What of a check the request needs (an HttpCheck fits)."""

    @property
    def method(self) -> str: ...
    @property
    def data(self) -> str | Mapping[str, Any] | None: ...
    @property
    def json(self) -> Any: ...
    @property
    def request_timeout(self) -> float: ...
    @property
    def connect_timeout(self) -> float | None: ...
    @property
    def follow_redirects(self) -> bool: ...
    @property
    def max_body_bytes(self) -> int: ...
    def describe(self) -> str: ...


class HostNotFound(TransientError):
    """The host name does not resolve (yet)."""


class Unreachable(TransientError):
    """No connection: refused, reset or dropped before a full response."""


class ResponseTimeout(TransientError):
    """No complete response within ``request_timeout``."""


async def exchange(request: Request, session: aiohttp.ClientSession, target: HttpTarget) -> HttpResponse:
    """Send the request and read the capped body; raise typed transient or permanent errors."""
    timeout = aiohttp.ClientTimeout(total=request.request_timeout, sock_connect=request.connect_timeout)
    headers, payload = target.headers, request.data
    if isinstance(payload, Mapping):
        headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
        payload = form_encoded(payload)
    transport = target.transport
    if transport.proxy_headers and target.url.startswith("http:"):
        headers = {**headers, **transport.proxy_headers}  # a forward proxy reads them; CONNECT sends its own
    begun = time.monotonic()
    try:
        async with session.request(
            request.method,
            target.url,
            headers=headers,
            data=payload,
            json=request.json,
            timeout=timeout,
            allow_redirects=request.follow_redirects,
            max_redirects=MAX_REDIRECTS,
            ssl=transport.ssl,
            proxy=transport.proxy,
            proxy_headers=transport.proxy_headers,
        ) as raw:
            body, truncated = await read_capped(raw, request.max_body_bytes)
            response = HttpResponse(
                status=raw.status,
                reason=raw.reason or "",
                url=str(raw.url),
                headers=dict(raw.headers),
                body=body,
                truncated=truncated,
                latency=time.monotonic() - begun,
                redirects=len(raw.history),
            )
    except aiohttp.ClientConnectorDNSError as error:
        raise HostNotFound(f"cannot resolve {error.host}") from error
    except (aiohttp.ClientSSLError, aiohttp.ClientConnectorCertificateError) as error:
        raise PermanentError(f"TLS with {target.origin} failed: {error}") from error
    except aiohttp.ClientProxyConnectionError as error:
        raise Unreachable(f"cannot connect to proxy {masked_url(str(transport.proxy))}: {error.strerror}") from error
    except aiohttp.ClientConnectorError as error:
        raise Unreachable(f"cannot connect to {target.origin}: {error.strerror or error}") from error
    except aiohttp.TooManyRedirects as error:
        raise PermanentError(f"more than {MAX_REDIRECTS} redirects from {request.describe()}") from error
    except (aiohttp.InvalidURL, aiohttp.RedirectClientError) as error:
        where = masked_url(str(getattr(error, "url", "") or ""))
        raise PermanentError(f"invalid URL or redirect target {where!r}: {type(error).__name__}") from error
    except TimeoutError as error:
        raise ResponseTimeout(f"no response within request_timeout={request.request_timeout:g}s") from error
    except aiohttp.ClientError as error:
        raise Unreachable(f"{type(error).__name__} from {target.origin}") from error
    if log.isEnabledFor(logging.DEBUG):  # the excerpt is masked, which costs more than the request's parsing
        log.debug(
            "%s -> %d %s in %.1f ms (%d bytes): %s",
            request.describe(),
            response.status,
            response.reason,
            response.latency * 1000,
            len(response.body),
            response.excerpt(),
        )
    return response
