"""HTTP health checks: one request judged by status and body, over a shared keep-alive session."""

from triggers.http.check import HttpCheck
from triggers.http.exchange import HostNotFound, HttpResponse, ResponseTimeout, Unreachable
from triggers.http.expectations import FieldExpectation
from triggers.http.trigger import HttpHealthTrigger
from triggers.secret_names import looks_like_credential

__all__ = [
    "FieldExpectation",
    "HostNotFound",
    "HttpCheck",
    "HttpHealthTrigger",
    "HttpResponse",
    "ResponseTimeout",
    "Unreachable",
    "looks_like_credential",
]
