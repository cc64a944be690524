"""A response as the check sees it: status, a size-capped body, latency; and its summaries.

Summaries go into outcomes, reports, XComs and logs, so they are bounded and passed through
Airflow's secrets masker (a server may echo a token back in its body), and their URL (perhaps a
presigned redirect target) through :func:`~triggers.secret_names.masked_url`.
"""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import aiohttp
from airflow.sdk._shared.secrets_masker import redact  # what airflow.sdk.log uses; not re-exported there

from triggers.secret_names import masked_url

#: Bodies up to this size are parsed into the met value; larger ones are summarised without it.
SUMMARY_JSON_BYTES = 16 * 1024
#: Characters of the body kept in a report or log line.
EXCERPT_CHARS = 200

_NOT_JSON = object()


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

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")

    @cached_property
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

    @cached_property
    def _excerpt(self) -> str:
        text = " ".join(self.text[: EXCERPT_CHARS * 2].split())
        text = text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 3] + "..."
        return str(redact(text))

    def summary(self) -> dict[str, Any]:
        """Return a masked JSON summary: status, latency, size, and the parsed body when it is small."""
        small = self.is_json and len(self.body) <= SUMMARY_JSON_BYTES
        return {
            "url": masked_url(self.url),
            "status": self.status,
            "reason": self.reason,
            "latency_ms": round(self.latency * 1000, 1),
            "bytes": len(self.body),
            "truncated": self.truncated,
            "redirects": self.redirects,
            "json": redact(self._parsed) if small else None,
        }

    def brief(self) -> dict[str, Any]:
        """Return what a report keeps about the last response: status, latency and a masked excerpt."""
        return {
            "url": masked_url(self.url),
            "status": self.status,
            "latency_ms": round(self.latency * 1000, 1),
            "excerpt": self.excerpt(),
        }


async def read_capped(response: aiohttp.ClientResponse, max_bytes: int) -> tuple[bytes, bool]:
    """Return at most ``max_bytes`` of the body and whether more was there; never reads past the cap."""
    if response.content_length is not None and response.content_length > max_bytes:
        return b"", True
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        if size + len(chunk) > max_bytes:
            chunks.append(chunk[: max_bytes - size])
            return b"".join(chunks), True
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), False
