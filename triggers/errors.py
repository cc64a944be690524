"""The errors this library raises, and how a check's exceptions are classified.

::

    SensorError
    ├── ConfigurationError (also a ValueError)  a bad argument: raised when the DAG is parsed
    ├── TransientError                          the source cannot answer yet: the wait goes on
    └── PermanentError                          the answer can never turn into success: fail now

Exceptions that are not ours are classified by type, never by message text: connection errors
and timeouts are transient, anything else is permanent (a bug should fail loudly, not poll until
the sensor times out).
"""

from __future__ import annotations


class SensorError(Exception):
    """Base class of every error this library raises."""


class ConfigurationError(SensorError, ValueError):
    """A sensor or trigger argument is invalid; the message names the argument."""

    def __init__(self, argument: str, problem: str) -> None:
        super().__init__(f"{argument}: {problem}")
        self.argument = argument
        self.problem = problem


class TransientError(SensorError):
    """The source is not reachable or not readable right now; try again later."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(SensorError):
    """The source answered in a way that will not change by waiting (bad credentials, a final state)."""


def is_transient(error: BaseException) -> bool:
    """Return True when ``error`` means "not yet" rather than "never"."""
    return isinstance(error, (TransientError, ConnectionError, TimeoutError))  # asyncio's TimeoutError too
