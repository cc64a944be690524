"""Async triggers and the parts they are built from: checks, cadences, the poll loop, reports."""

from triggers.breaker import CircuitBreaker
from triggers.cadence import Backoff, Cadence, Fixed
from triggers.checks import Check, Probe, check_once
from triggers.errors import ConfigurationError, PermanentError, SensorError, TransientError
from triggers.gather import composition as _composition  # noqa: F401  # installs & | ~ on checks
from triggers.history import Attempt
from triggers.outcomes import Failed, Met, NotYet, Outcome
from triggers.poll_loop import PollLoop
from triggers.poll_trigger import PollTrigger
from triggers.report import Report

__all__ = [
    "Attempt",
    "Backoff",
    "Cadence",
    "Check",
    "CircuitBreaker",
    "ConfigurationError",
    "Failed",
    "Fixed",
    "Met",
    "NotYet",
    "Outcome",
    "PermanentError",
    "PollLoop",
    "PollTrigger",
    "Probe",
    "Report",
    "SensorError",
    "TransientError",
    "check_once",
]
