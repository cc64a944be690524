"""Exceptions raised by the dev stack."""

from __future__ import annotations


class StackError(RuntimeError):
    """Base class for every error raised by the dev stack."""


class ComponentDied(StackError):
    """An Airflow component exited while the stack needed it."""


class StackTimeout(StackError, TimeoutError):
    """Something did not happen within its timeout."""


class UnexpectedState(StackError):
    """A task or run reached a final state other than the one waited for."""
