"""Trigger kwargs a triggerer cannot use: remember why instead of raising.

Airflow 3.3's ``TriggerRunner.create_triggers`` catches only ``TypeError`` from a trigger's
constructor; any other exception stops the runner, and every wait in that triggerer with it. A
trigger rebuilt from kwargs written by another release of this library, or naming a callable the
triggerer cannot import, therefore builds anyway: :func:`tolerating` records the problem on the
trigger (``trigger.problem``), and the trigger's ``run()`` reports it as a failed wait, so only
that task fails, with a readable reason.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Protocol


class Unusable(Exception):
    """Trigger argument ``argument`` cannot be used: ``cause`` says why."""

    def __init__(self, argument: str, cause: BaseException) -> None:
        described = str(cause) if str(cause) else type(cause).__name__
        super().__init__(f"argument {argument!r}: {described}")
        self.argument = argument


class HoldsProblem(Protocol):
    problem: str | None


class _Argument:
    """A context that turns any exception raised while using argument ``name`` into :class:`Unusable`."""

    # a class, not a generator context manager: a trigger's constructor enters a dozen of these,
    # and a triggerer rebuilding 10,000 triggers at start-up feels each generator
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, _tb: object) -> None:
        if isinstance(error, Exception) and not isinstance(error, Unusable):
            raise Unusable(self.name, error) from error


argument = _Argument


@contextlib.contextmanager
def tolerating(trigger: HoldsProblem) -> Iterator[None]:
    """Run a trigger's argument checks; record the first problem on ``trigger`` instead of raising.

    Does nothing (skips the block's effects from the failing statement on) once a problem is known.
    """
    try:
        yield
    except Exception as error:  # the triggerer must survive whatever the kwargs hold (see module docstring)
        if trigger.problem is None:
            cause = error if isinstance(error, Unusable) else Unusable("?", error)
            trigger.problem = f"{type(trigger).__name__} cannot use its arguments: {cause}"
