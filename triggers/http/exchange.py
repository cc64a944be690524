"""One HTTP request on a pooled session: sent, its body read up to a cap, its failures typed.

Refused connections, DNS failures, timeouts and dropped connections raise transient errors (a
"not yet"); TLS failures, redirect loops and invalid redirect targets raise PermanentError.

Every HTTP trigger in a triggerer shares one keep-alive session (``SESSIONS``) per origin and
identity, so a thousand sensors on one API reuse a handful of pooled connections instead of
opening a thousand. Identities are kept apart because a session carries a cookie jar: one
caller's cookies must never ride along with another's credentials.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

import aiohttp

from triggers.errors import PermanentError, TransientError
from triggers.http.credentials import HttpTarget
from triggers.http.options import form_encoded
from triggers.http.response import HttpResponse, read_capped
from triggers.secret_names import masked_url
from triggers.shared import SharedPool

if TYPE_CHECKING:
    from triggers.http.check import HttpCheck

log = logging.getLogger("triggers.http.check")

MAX_REDIRECTS = 10
#: Connections one session keeps open to its origin; more concurrent requests queue for one.
MAX_CONNECTIONS = 16
#: Seconds an idle pooled connection stays open (covers a poke_interval of a few seconds).
KEEPALIVE_SECONDS = 30.0


async def _open_session(key: tuple[str, str]) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=MAX_CONNECTIONS, keepalive_timeout=KEEPALIVE_SECONDS)
    # trust_env off (aiohttp's default, said aloud): no proxy or .netrc credentials from the triggerer's environment
    return aiohttp.ClientSession(connector=connector, raise_for_status=False, trust_env=False)


#: (origin, credentials fingerprint) -> the session, closed when its last user leaves.
SESSIONS: SharedPool[tuple[str, str], aiohttp.ClientSession] = SharedPool(_open_session, aiohttp.ClientSession.close)


class HostNotFound(TransientError):
    """The host name does not resolve (yet)."""


class Unreachable(TransientError):
    """No connection: refused, reset or dropped before a full response."""


class ResponseTimeout(TransientError):
    """No complete response within ``request_timeout``."""


async def exchange(request: HttpCheck, session: aiohttp.ClientSession, target: HttpTarget) -> HttpResponse:
    """Send the request and read the capped body; raise typed transient or permanent errors."""
    timeout = aiohttp.ClientTimeout(total=request.request_timeout, sock_connect=request.connect_timeout)
    headers, payload = target.headers, request.data
    if isinstance(payload, Mapping):
        headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
        payload = form_encoded(payload)
    if target.proxy_headers and target.url.startswith("http:"):
        headers = {**headers, **target.proxy_headers}  # a forward proxy reads them; CONNECT sends its own
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
            ssl=target.ssl,
            proxy=target.proxy,
            proxy_headers=target.proxy_headers,
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
        raise Unreachable(f"cannot connect to proxy {masked_url(str(target.proxy))}: {error.strerror}") from error
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
