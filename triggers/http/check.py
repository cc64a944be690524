"""The HTTP check: one request, classified by status, then the body judged against expectations.

Classification, in order: an expected status goes on to the body; a ``permanent_statuses``
status fails now (401 and 403 by default: waiting will not fix credentials); a 5xx or a
``not_yet_statuses`` status is a transient "not yet" (``Retry-After`` honoured on 429 and 503);
any other status fails, saying how to make it a "not yet". Failing requests are typed in
:mod:`triggers.http.exchange`; :mod:`triggers.http.credentials` resolves the connection id.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import time
from collections.abc import AsyncIterator, Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import aiohttp

from triggers.callables import callable_path, load_callable
from triggers.checks import Check, Probe
from triggers.errors import ConfigurationError
from triggers.http.credentials import AUTH_TYPES, AuthType, HttpTarget, resolve_http_target
from triggers.http.exchange import SESSIONS, HttpResponse, exchange
from triggers.http.expectations import FieldExpectation, subset_mismatch
from triggers.http.options import (
    require_json,
    statuses,
    validate_body,
    validate_headers,
    validate_method,
    validate_request_params,
    validate_transport_options,
    validate_url,
)
from triggers.outcomes import Failed, Met, NotYet, Outcome
from triggers.secret_names import masked_url
from triggers.shared_source import shared_probe
from triggers.validation import require_bool, require_positive, require_whole

DEFAULT_NOT_YET_STATUSES = (404, 408, 425, 429)
DEFAULT_PERMANENT_STATUSES = (401, 403)
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
_RETRY_AFTER_STATUSES = (429, 503)
#: How a response is judged, not what is sent: checks differing only here share one request.
_EXPECTATIONS = frozenset(
    {
        "kind",
        "expected_status",
        "expected_json",
        "fields",
        "response_check",
        "not_yet_statuses",
        "permanent_statuses",
        "share_probe",
    }
)


#: Seconds a resolved connection is used before it is read again: a credential rotated in the
#: connection reaches a wait (or a request shared by waits for days) within this time.
RESOLVE_EVERY = 300.0


@dataclass(frozen=True, slots=True)
class _Resolved:
    """The connection as resolved at ``at`` (monotonic), and the session leased for it."""

    target: HttpTarget
    session: aiohttp.ClientSession
    at: float


@dataclass(frozen=True)
class HttpCheck(Check):
    """Request ``url`` once and judge the response.

    The parameters are :class:`sensors.api_health.APIHealthSensor`'s, which documents them, with
    ``url`` for ``endpoint_url``, ``expected_json`` for ``expected_response``, ``fields`` for
    ``field_expectations`` and ``response_check`` as a dotted path. With ``share_probe``, waits in
    one event loop sending the same request share one request per look (see
    :mod:`triggers.shared_source`) and one ``response_check`` call per response.

    Met's value is :meth:`HttpResponse.summary` (status, latency, the JSON body when small).
    """

    kind: ClassVar[str] = "http"
    url: str
    method: str = "GET"
    expected_status: tuple[int, ...] = (200,)
    expected_json: Any = None
    fields: tuple[FieldExpectation, ...] = ()
    response_check: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    http_conn_id: str | None = None
    auth_type: AuthType | None = None
    request_timeout: float = 30.0
    connect_timeout: float | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    not_yet_statuses: tuple[int, ...] = DEFAULT_NOT_YET_STATUSES
    permanent_statuses: tuple[int, ...] = DEFAULT_PERMANENT_STATUSES
    follow_redirects: bool = True
    data: str | Mapping[str, Any] | None = field(default=None, hash=False)
    json: Any = field(default=None, hash=False)
    request_params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    extra_options: Mapping[str, Any] = field(default_factory=dict, hash=False)
    share_probe: bool = True

    def __post_init__(self) -> None:
        if self.http_conn_id is not None and (not isinstance(self.http_conn_id, str) or not self.http_conn_id):
            raise ConfigurationError("http_conn_id", f"must be a connection id, got {self.http_conn_id!r}")
        validate_url(self.url, relative_allowed=self.http_conn_id is not None)
        object.__setattr__(self, "method", validate_method(self.method))
        object.__setattr__(self, "data", validate_body(self.method, self.data, self.json))
        object.__setattr__(self, "request_params", validate_request_params(self.request_params))
        object.__setattr__(self, "extra_options", validate_transport_options(self.extra_options, "extra_options"))
        if self.auth_type is not None and self.auth_type not in AUTH_TYPES:
            raise ConfigurationError("auth_type", f"must be one of {', '.join(AUTH_TYPES)} or None")
        if self.auth_type is not None and self.http_conn_id is None:
            raise ConfigurationError("auth_type", "needs http_conn_id: credentials come from an Airflow connection")
        object.__setattr__(self, "headers", validate_headers(self.headers))
        expected = statuses(self.expected_status, "expected_status")
        permanent = statuses(self.permanent_statuses, "permanent_statuses")
        if overlap := set(expected) & set(permanent):
            raise ConfigurationError("permanent_statuses", f"overlaps expected_status: {overlap}")
        object.__setattr__(self, "expected_status", expected)
        object.__setattr__(self, "permanent_statuses", permanent)
        object.__setattr__(self, "not_yet_statuses", statuses(self.not_yet_statuses, "not_yet_statuses"))
        if not isinstance(self.fields, (list, tuple)):
            raise ConfigurationError("field_expectations", f"must be a list of expectations, got {self.fields!r}")
        object.__setattr__(self, "fields", tuple(FieldExpectation.coerce(f) for f in self.fields))
        if self.response_check is not None:
            object.__setattr__(self, "response_check", callable_path(self.response_check, "response_check"))
        object.__setattr__(self, "request_timeout", require_positive("request_timeout", self.request_timeout))
        if self.connect_timeout is not None:
            object.__setattr__(self, "connect_timeout", require_positive("connect_timeout", self.connect_timeout))
        require_whole("max_body_bytes", self.max_body_bytes, unit="bytes")
        require_json("expected_response", self.expected_json)  # a set or a date here would never equal a body
        if self.method == "HEAD" and (self.expected_json is not None or self.fields):
            raise ConfigurationError("method", "HEAD answers carry no body to match: use GET with a body check")
        require_bool("follow_redirects", self.follow_redirects)
        require_bool("share_probe", self.share_probe)

    def describe(self) -> str:
        url = masked_url(self.url)
        where = f"{self.http_conn_id}:{url}" if self.http_conn_id else url
        return f"{self.method} {where}"

    async def check(self) -> Outcome:
        async with self.opened() as probe:
            return await probe.check()

    def opened(self) -> contextlib.AbstractAsyncContextManager[Probe]:
        """Hold what the wait needs: its share of the request (``share_probe``), or a session of its own."""
        if self.share_probe:
            held: list[_Resolved] = []
            return shared_probe(self.source_key(), lambda stack, _interests: self._ask(held, stack), self.judge)
        return self._own_probe()

    @contextlib.asynccontextmanager
    async def _own_probe(self) -> AsyncIterator[Probe]:
        async with contextlib.AsyncExitStack() as stack:
            held: list[_Resolved] = []

            async def check() -> Outcome:
                return await self.judge(await self._ask(held, stack))

            yield Probe(check=check)

    def _ask(self, held: list[_Resolved], stack: contextlib.AsyncExitStack) -> Awaitable[HttpResponse]:
        """Return the sending of the request through the connection resolved in ``held`` and a session
        leased on ``stack``.

        The first call resolves the connection; a connection is read again after RESOLVE_EVERY
        seconds, and a changed origin or identity leases its own session (the old one is released
        with ``stack``). A connection still good is asked directly: no coroutine of its own per request.
        """
        if held and (self.http_conn_id is None or time.monotonic() - held[0].at <= RESOLVE_EVERY):
            return exchange(self, held[0].session, held[0].target)
        return self._resolve_and_ask(held, stack)

    async def _resolve_and_ask(self, held: list[_Resolved], stack: contextlib.AsyncExitStack) -> HttpResponse:
        now = time.monotonic()
        target = await resolve_http_target(self)
        if held and (held[0].target.origin, held[0].target.identity) == (target.origin, target.identity):
            session = held[0].session
        else:
            session = await stack.enter_async_context(SESSIONS.lease((target.origin, target.identity)))
        held[:] = [_Resolved(target, session, now)]
        return await exchange(self, session, target)

    def source_key(self) -> str:
        """Return what makes two checks send the same request (their expectations aside)."""
        sent = {name: value for name, value in self.to_dict().items() if name not in _EXPECTATIONS}
        return "http " + json.dumps(sent, sort_keys=True, default=repr)

    async def judge(self, response: HttpResponse) -> Outcome:
        """Return what ``response`` means: by status first, then by body for an expected status."""
        detail = {"last_response": response.brief()}
        if response.status in self.expected_status:
            return await self._judge_body(response, detail)
        said = _said(response)
        if response.status in self.permanent_statuses:
            return Failed(f"{said} is permanent (permanent_statuses): {response.excerpt()}", "HttpStatus", detail)
        if response.status >= 500 or response.status in self.not_yet_statuses:
            wait = response.retry_after() if response.status in _RETRY_AFTER_STATUSES else None
            return NotYet(said, error=f"HTTP{response.status}", retry_after=wait, detail=detail)
        return Failed(
            f"{said} is neither expected_status {list(self.expected_status)} nor a 'not yet' status; "
            f"add it to not_yet_statuses if it can change: {response.excerpt()}",
            "HttpStatus",
            detail,
        )

    async def _judge_body(self, response: HttpResponse, detail: dict[str, Any]) -> Outcome:
        wants_json = self.expected_json is not None or bool(self.fields)
        if response.truncated and (wants_json or self.response_check is not None):
            return Failed(
                f"{_said(response)}: the body is larger than max_body_bytes={self.max_body_bytes}; "
                "raise max_body_bytes or check a smaller endpoint",
                "BodyTooLarge",
                detail,
            )
        if wants_json:
            if not response.is_json:
                return NotYet(
                    f"{_said(response)} but the body is not JSON: {response.excerpt()}", "InvalidJSON", detail=detail
                )
            body = response.json()
            mismatch = None if self.expected_json is None else subset_mismatch(self.expected_json, body)
            if mismatch is not None:
                return NotYet(f"body does not match expected_response: {mismatch}", detail=detail)
            for expectation in self.fields:
                mismatch = expectation.mismatch(body)
                if mismatch is not None:
                    return NotYet(f"field expectation {expectation} not met: {mismatch}", detail=detail)
        if self.response_check is not None and not await self._run_response_check(response):
            return NotYet(f"response_check {self.response_check} returned false", detail=detail)
        return Met(response.summary(), detail=detail)

    async def _run_response_check(self, response: HttpResponse) -> bool:
        """Return what ``response_check`` says of ``response``, called once per response: waits
        sharing one response (``share_probe``) await the same call, not one thread call each. The
        callable gets a copy: its edits to ``json()`` reach neither the met value nor the other waits."""
        assert self.response_check is not None  # checked by the caller
        call = response.verdicts.get(self.response_check)
        if call is None:
            call = response.verdicts[self.response_check] = asyncio.ensure_future(self._call_response_check(response))
            call.add_done_callback(lambda done: done.cancelled() or done.exception())  # retrieved, even if unawaited
        return await asyncio.shield(call)  # one wait's cancellation must not cancel the others' answer

    async def _call_response_check(self, response: HttpResponse) -> bool:
        assert self.response_check is not None
        function = load_callable(self.response_check, "response_check")
        response = response.copy()  # the callable's edits to json() stay its own
        if inspect.iscoroutinefunction(function):
            return bool(await function(response))
        # a sync callable may block (I/O, heavy parsing): keep it off the triggerer's loop
        return bool(await asyncio.to_thread(function, response))


def _said(response: HttpResponse) -> str:
    """Return the status line a reason starts with (only a reason needs it: a met check never builds it)."""
    return f"HTTP {response.status} {response.reason}".rstrip()
