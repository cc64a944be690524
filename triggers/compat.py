"""The Airflow names that moved between the 3.x releases we support (3.1 to 3.3), in one place.

Each is found by what the installed Airflow provides, never by its version string; mypy reads the
3.3 names, the fallbacks are 3.1's and 3.2's: the task exceptions (``airflow.exceptions`` is where
3.1's task runner catches them), ``Stats``, and ``amask_secret`` (3.1 has only the sync
``mask_secret``, called through :func:`call_sdk`). :func:`aget_connection` also works in a 3.1
worker, whose channel to the supervisor has no async send. ``mask_secret``, ``redact`` and the task
end events are all in 3.1, so they need no fallback. Code using a 3.3-only feature (the task
state store, shared streams) detects it and keeps a 3.1 path.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from airflow.sdk import BaseHook, Connection
from asgiref.sync import sync_to_async

T = TypeVar("T")

if TYPE_CHECKING:
    from airflow.sdk.exceptions import (
        AirflowFailException,
        AirflowNotFoundException,
        AirflowSensorTimeout,
        AirflowSkipException,
        TaskDeferred,
    )
    from airflow.sdk.log import amask_secret
    from airflow.sdk.observability.stats import Stats
else:
    try:
        from airflow.sdk.exceptions import (
            AirflowFailException,
            AirflowNotFoundException,
            AirflowSensorTimeout,
            AirflowSkipException,
            TaskDeferred,
        )
    except ImportError:  # 3.1, 3.2
        from airflow.exceptions import (
            AirflowFailException,
            AirflowNotFoundException,
            AirflowSensorTimeout,
            AirflowSkipException,
            TaskDeferred,
        )

    try:
        from airflow.sdk.observability.stats import Stats
    except ImportError:  # 3.1, 3.2
        from airflow.stats import Stats

    try:
        from airflow.sdk.log import amask_secret
    except ImportError:  # 3.1, 3.2

        async def amask_secret(secret: Any, name: str | None = None) -> None:
            """Mask ``secret`` here and in the supervisor (3.1 and 3.2 have no async variant)."""
            from airflow.sdk.log import mask_secret

            await call_sdk(mask_secret, secret, name)


async def call_sdk(fn: Callable[..., T], *args: Any) -> T:
    """Return ``fn(*args)``, a sync Task SDK call that may talk to the supervisor, run off the loop.

    Through asgiref's ``sync_to_async``, not ``asyncio.to_thread``: 3.1's triggerer serves a sync
    call with ``async_to_sync``, which finds the triggerer's loop only from a ``sync_to_async``
    thread; from any other thread it starts a second loop that reads the supervisor's channel
    beside the first ("Response read out of order", and the trigger runner stops). Not
    thread-sensitive: asgiref's one shared thread does not survive a fork (a task process is
    one). In a worker, whose 3.1 channel has no lock, calls go one at a time. A cancelled caller
    stops waiting; the call ends in its thread.
    """
    call: Callable[..., Awaitable[T]] = sync_to_async(_one_at_a_time, thread_sensitive=False)
    return await call(fn, *args)


_WORKER_CHANNEL = threading.Lock()


def _one_at_a_time(fn: Callable[..., T], *args: Any) -> T:
    if not _in_a_task_worker():
        return fn(*args)
    with _WORKER_CHANNEL:
        return fn(*args)


def _in_a_task_worker() -> bool:
    """Return whether this process is a task's worker (not the triggerer, not a bare test process)."""
    from airflow.sdk.execution_time import task_runner
    from airflow.sdk.execution_time.comms import CommsDecoder

    # The triggerer installs its own subclass; a worker uses the plain decoder.
    return type(getattr(task_runner, "SUPERVISOR_COMMS", None)) is CommsDecoder


async def aget_connection(conn_id: str) -> Connection:
    """Return Airflow connection ``conn_id``, in the triggerer or a worker; raise ``AirflowNotFoundException``."""
    try:
        # Shielded: on 3.1 a request cancelled between its write and its reply leaves the reply
        # for the next request to read, which then fails "out of order" and stops the runner.
        return await asyncio.shield(BaseHook.aget_connection(conn_id))
    except AirflowNotFoundException:
        if not _in_a_task_worker():
            raise
    # A 3.1 or 3.2 worker: its async lookup cannot reach the supervisor; the sync one can, off this loop.
    return await call_sdk(BaseHook.get_connection, conn_id)


__all__ = [
    "AirflowFailException",
    "AirflowNotFoundException",
    "AirflowSensorTimeout",
    "AirflowSkipException",
    "Stats",
    "TaskDeferred",
    "aget_connection",
    "amask_secret",
    "call_sdk",
]
