"""One HTTP request on a pooled session: sent, its body read up to a cap, its failures typed; the response.

Refused connections, DNS failures, timeouts and dropped connections raise transient errors (a
"not yet"); TLS failures, redirect loops and invalid redirect targets raise PermanentError.

Every HTTP trigger in a triggerer shares one keep-alive session (``SESSIONS``) per origin and
identity, so a thousand sensors on one API reuse a handful of pooled connections instead of
opening a thousand. Identities are kept apart because a session carries a cookie jar: one
caller's cookies must never ride along with another's credentials.

A response's summaries go into outcomes, reports, XComs and logs, so they are bounded and passed
through Airflow's secrets masker (a server may echo a token back in its body), and their URL
(perhaps a presigned redirect target) through :func:`~triggers.secret_names.masked_url`.
"""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import functools
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import aiohttp
from airflow.sdk._shared.secrets_masker import redact  # what airflow.sdk.log uses; not re-exported there

from triggers.errors import PermanentError, TransientError
from triggers.http.credentials import HttpTarget
from triggers.http.options import form_encoded
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


def _make_session(key: tuple[str, str]) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=MAX_CONNECTIONS, keepalive_timeout=KEEPALIVE_SECONDS)
    # trust_env off (aiohttp's default, said aloud): no proxy or .netrc credentials from the triggerer's environment
    return aiohttp.ClientSession(connector=connector, raise_for_status=False, trust_env=False)


#: (origin, credentials fingerprint) -> the session, closed when its last user leaves.
SESSIONS: SharedPool[tuple[str, str], aiohttp.ClientSession] = SharedPool(
    None, aiohttp.ClientSession.close, make=_make_session
)


class HostNotFound(TransientError):
    """The host name does not resolve (yet)."""


class Unreachable(TransientError):
    """No connection: refused, reset or dropped before a full response."""


class ResponseTimeout(TransientError):
    """No complete response within ``request_timeout``."""


#: Bodies up to this size are parsed into the met value; larger ones are summarised without it.
SUMMARY_JSON_BYTES = 16 * 1024
#: Characters of the body kept in a report or log line.
EXCERPT_CHARS = 200

_NOT_JSON = object()

T = TypeVar("T")


class _cached(Generic[T]):
    """``functools.cached_property`` without the lock Python 3.11 takes on each first read (per response here)."""

    def __init__(self, compute: Callable[[Any], T]) -> None:
        self._compute = compute
        self._name = compute.__name__

    def __get__(self, instance: Any, owner: type | None = None) -> T:
        value: T = self._compute(instance)
        instance.__dict__[self._name] = value  # read from the instance from now on: this is a non-data descriptor
        return value


@dataclass(frozen=True)
class HttpResponse:
    """What a ``response_check`` callable receives: status, headers, body (at most the cap), timing."""

    status: int
    reason: str
    url: str
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    truncated: bool = False
    latency: float = 0.0
    redirects: int = 0
    #: response_check path -> its call on this response, which every wait sharing the response awaits
    verdicts: dict[str, asyncio.Future[bool]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def copy(self) -> HttpResponse:
        """Return the same response with none of this one's parses: what a caller edits stays its own."""
        return replace(self)

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")

    @_cached
    def _parsed(self) -> Any:
        if self.truncated:
            return _NOT_JSON
        try:
            return json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return _NOT_JSON

    @property
    def is_json(self) -> bool:
        return self._parsed is not _NOT_JSON

    def json(self) -> Any:
        """Return the parsed body; raise ValueError when it is not (complete) JSON."""
        if self._parsed is _NOT_JSON:
            raise ValueError(
                "the response body is not valid JSON" + (" (cut at the size cap)" if self.truncated else "")
            )
        return self._parsed

    def retry_after(self) -> float | None:
        """Return the ``Retry-After`` header in seconds from now (seconds or an HTTP date), or None."""
        value = self.headers.get("Retry-After")
        if value is None:
            return None
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.UTC)
        return max(0.0, (when - datetime.datetime.now(datetime.UTC)).total_seconds())

    def excerpt(self) -> str:
        """Return the start of the body, one line, masked (once per response: waits sharing it ask too)."""
        return self._excerpt

    @_cached
    def _excerpt(self) -> str:
        # the first n characters of UTF-8 lie in its first 4n bytes: a 1 MB body is not decoded whole
        head = self.body[: EXCERPT_CHARS * 8].decode("utf-8", errors="replace")
        text = " ".join(head[: EXCERPT_CHARS * 2].split())
        text = text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 3] + "..."
        return str(redact(text))

    def summary(self) -> dict[str, Any]:
        """Return a masked JSON summary: status, latency, size, and the parsed body when it is small."""
        parsed = self._parsed
        small = parsed is not _NOT_JSON and len(self.body) <= SUMMARY_JSON_BYTES
        return {
            "url": masked_url(self.url),
            "status": self.status,
            "reason": self.reason,
            "latency_ms": round(self.latency * 1000, 1),
            "bytes": len(self.body),
            "truncated": self.truncated,
            "redirects": self.redirects,
            "json": redact(parsed) if small else None,
        }

    def brief(self) -> dict[str, Any]:
        """Return what a report keeps about the last response: status, latency and a masked excerpt."""
        return {
            "url": masked_url(self.url),
            "status": self.status,
            "latency_ms": round(self.latency * 1000, 1),
            "excerpt": self._excerpt,
        }


@functools.lru_cache(maxsize=256)  # a pure function of two numbers, asked on every request
def _timeout(total: float, connect: float | None) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=total, sock_connect=connect)


async def exchange(request: HttpCheck, session: aiohttp.ClientSession, target: HttpTarget) -> HttpResponse:
    """Send the request and read the capped body; raise typed transient or permanent errors."""
    timeout = _timeout(request.request_timeout, request.connect_timeout)
    headers, payload = target.headers, request.data
    if isinstance(payload, dict):  # validate_body made every form a dict (an ABC check costs more)
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


async def read_capped(response: aiohttp.ClientResponse, max_bytes: int) -> tuple[bytes, bool]:
    """Return at most ``max_bytes`` of the body and whether more was there; never reads past the cap."""
    length = response.content_length
    if length is not None:
        if length > max_bytes:
            return b"", True
        if "Content-Encoding" not in response.headers:
            # the parser stops at Content-Length (a decoded body could be longer than it): one read
            return await response.read(), False
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        if size + len(chunk) > max_bytes:
            chunks.append(chunk[: max_bytes - size])
            return b"".join(chunks), True
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), False
