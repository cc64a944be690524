"""APIHealthSensor: wait until an HTTP endpoint answers healthy (seed Task 2), without a worker slot.

Secrets: headers whose names look like credentials (Authorization, X-Api-Key, Cookie, ...) are
refused in every mode with a ConfigurationError pointing at ``http_conn_id``. In deferrable mode
they would be stored in the trigger table (as plain text unless ``[core] fernet_key`` is set);
refusing them in poke mode too keeps one
check for both modes and keeps tokens out of DAG files. Put the token in an Airflow HTTP
connection (the password, with ``auth_type="bearer"``; login/password with ``"basic"``; any
other header in the connection's extra): it is resolved in the triggerer and masked in logs.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, ClassVar

from sensors.base import DEFAULT_ATTEMPT_TIMEOUT, DeferrableSensor
from triggers.callables import callable_path
from triggers.http import FieldExpectation, HttpCheck, HttpHealthTrigger, HttpResponse
from triggers.http.check import DEFAULT_MAX_BODY_BYTES, DEFAULT_NOT_YET_STATUSES, DEFAULT_PERMANENT_STATUSES
from triggers.http.credentials import AuthType
from triggers.poll_trigger import PollTrigger
from triggers.report import Report

FieldSpec = FieldExpectation | tuple[Any, ...] | Mapping[str, Any]


class APIHealthSensor(DeferrableSensor):
    """Wait until ``endpoint_url`` answers ``expected_status`` with a body containing ``expected_response``.

    Templated: ``endpoint_url``, ``expected_status`` (whole-number text becomes an int),
    ``expected_response``, ``headers``, ``http_conn_id`` and ``field_expectations`` (tuples and
    dicts; a FieldExpectation object is taken as it is).

    :param endpoint_url: absolute http(s) URL, or a path under the base URL of ``http_conn_id``.
    :param expected_status: the status (or a set of statuses) that means healthy.
    :param expected_response: must be a subset of the JSON body (extra keys such as a
        ``timestamp`` are ignored).
    :param headers: extra request headers; credential-like ones are refused (see the module doc).
    :param request_timeout: seconds for one whole request (connect included); a slower answer is
        a transient "not yet". Each attempt may take this plus 30 s (at least 60 s) unless
        ``attempt_timeout`` says otherwise.
    :param http_conn_id: Airflow HTTP connection: base URL, login/password, header extras.
    :param auth_type: "basic" or "bearer" (the connection's password is the token); by default
        basic when the connection has a login.
    :param response_check: a module-level function (or its dotted path) taking an
        :class:`~triggers.http.HttpResponse` and returning truthy when healthy; sync functions
        run in a thread, async ones on the loop.
    :param field_expectations: ``(path, op, value)`` comparisons on the JSON body, e.g.
        ``("catalog.version", ">", 100)``.
    :param not_yet_statuses: statuses that mean "not yet" (5xx always do).
    :param permanent_statuses: statuses that fail at once (401 and 403 by default).
    :param max_body_bytes: the most of a body read.
    :param connect_timeout: seconds for the TCP connect (default: ``request_timeout``).
    :param follow_redirects: follow 3xx answers (up to 10).
    :param method: GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS (as HttpSensor's ``method``).
    :param data: a form body (a mapping) or a text body, for a method that carries one.
    :param json: a JSON body (dicts, lists, text, numbers), for a method that carries one.
    :param request_params: query parameters, added to those in ``endpoint_url``.
    :param extra_options: TLS and proxy options overriding the connection's extra: ``verify``
        (False, or a CA bundle path), ``cert`` (a path, or ``[cert, key]``), ``proxy`` or
        ``proxies``. Names in bodies and parameters that look like secrets are refused.

    :param share_probe: waits in one process (a triggerer, or a worker's poke loop) that send the
        same request (method, URL, parameters, connection, headers, body, timeouts) share one
        asking: each answer is judged by every wait against its own expectations. False sends
        this sensor's own requests.

    Between failed attempts the wait backs off exponentially with jitter (``backoff_*``),
    honouring ``Retry-After`` on 429 and 503. ``failure_threshold`` turns on the circuit breaker;
    it is off by default because an open breaker skips checks for ``recovery_timeout`` (300 s),
    longer than the seed API's 60 s healthy window.
    Returns (XCom) the last response's summary: status, latency, the JSON body when small.
    """

    trigger_class: ClassVar[type[PollTrigger]] = HttpHealthTrigger
    template_fields: Sequence[str] = (
        "endpoint_url",
        "expected_status",
        "expected_response",
        "headers",
        "http_conn_id",
        "field_expectations",
    )
    template_stand_ins = {
        "endpoint_url": "http://templated.invalid/",
        "expected_status": 200,
        "expected_response": {},
        "headers": {},
        "http_conn_id": "templated_conn_id",
        "field_expectations": (),
    }
    integer_fields = frozenset({"expected_status"})

    def __init__(
        self,
        endpoint_url: str,
        expected_status: int | Collection[int] = 200,
        expected_response: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        request_timeout: float = 30,
        *,
        http_conn_id: str | None = None,
        auth_type: AuthType | None = None,
        response_check: str | Callable[[HttpResponse], Any] | None = None,
        field_expectations: Iterable[FieldSpec] | None = None,
        not_yet_statuses: Collection[int] = DEFAULT_NOT_YET_STATUSES,
        permanent_statuses: Collection[int] = DEFAULT_PERMANENT_STATUSES,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        connect_timeout: float | None = None,
        follow_redirects: bool = True,
        method: str = "GET",
        data: str | Mapping[str, Any] | None = None,
        json: Any = None,
        request_params: Mapping[str, Any] | None = None,
        extra_options: Mapping[str, Any] | None = None,
        share_probe: bool = True,
        **kwargs: Any,
    ) -> None:
        if "attempt_timeout" not in kwargs and isinstance(request_timeout, (int, float)):
            # request_timeout bounds the request; the attempt also resolves the connection first
            kwargs["attempt_timeout"] = max(DEFAULT_ATTEMPT_TIMEOUT, float(request_timeout) + 30.0)
        super().__init__(**kwargs)
        self.endpoint_url = endpoint_url
        self.expected_status = expected_status
        self.expected_response = expected_response
        self.headers = headers
        self.request_timeout = request_timeout
        self.http_conn_id = http_conn_id
        self.auth_type = auth_type
        # the path, not the function: the check travels to the triggerer as JSON
        self.response_check = None if response_check is None else callable_path(response_check, "response_check")
        self.field_expectations = () if field_expectations is None else field_expectations
        self.not_yet_statuses = not_yet_statuses
        self.permanent_statuses = permanent_statuses
        self.max_body_bytes = max_body_bytes
        self.connect_timeout = connect_timeout
        self.follow_redirects = follow_redirects
        self.method = method
        self.data = data
        self.json = json
        self.request_params = request_params
        self.extra_options = extra_options
        self.share_probe = share_probe
        self.validate()

    def build_check(self) -> HttpCheck:
        """Return the HttpCheck these arguments describe; raise ConfigurationError naming a bad one."""
        return HttpCheck(
            url=self.endpoint_url,
            method=self.method,
            expected_status=_as_tuple(self.expected_status),
            expected_json=self.expected_response,
            fields=_as_tuple(self.field_expectations),
            response_check=self.response_check,
            headers=self.headers or {},  # the check says what is wrong with a non-mapping
            http_conn_id=self.http_conn_id,
            auth_type=self.auth_type,
            request_timeout=self.request_timeout,
            connect_timeout=self.connect_timeout,
            max_body_bytes=self.max_body_bytes,
            not_yet_statuses=_as_tuple(self.not_yet_statuses),
            permanent_statuses=_as_tuple(self.permanent_statuses),
            follow_redirects=self.follow_redirects,
            data=self.data,
            json=self.json,
            request_params=self.request_params or {},
            extra_options=self.extra_options or {},
            share_probe=self.share_probe,
        )

    def on_report(self, context: Any, report: Report) -> None:
        """Log the last response (status, latency, masked excerpt) for debugging."""
        last = report.detail.get("last_response")
        if last:
            self.log.info(
                "Last response from %s: HTTP %s in %s ms: %s",
                last.get("url"),
                last.get("status"),
                last.get("latency_ms"),
                last.get("excerpt"),
            )


def _as_tuple(value: Any) -> Any:
    """Return sets and other iterables as a tuple; leave anything else for the check to judge."""
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes, Mapping)):
        return tuple(value)
    return value
