"""The Airflow names that moved between the 3.x releases we support (3.1 and later), in one place.

Every name is found by what the installed Airflow provides, never by its version string, so a
backport or a rename is picked up as it is. mypy reads the newest (3.3) names; the fallbacks are
what 3.1 and 3.2 ship:

- the task exceptions: ``airflow.sdk.exceptions`` (3.3), else ``airflow.exceptions``, which is where
  3.1's task runner catches them (in 3.3 both paths name the same classes);
- ``Stats``: ``airflow.sdk.observability.stats`` (3.3), else ``airflow.stats``;
- ``amask_secret``: ``airflow.sdk.log`` (3.3), else the sync ``mask_secret``, which masks in this
  process and, inside an event loop, cannot reach the supervisor anyway (its failure is
  suppressed, and it returns at once: no blocking call on the loop);
- :func:`aget_connection`: ``BaseHook.aget_connection`` works in 3.1's triggerer but not in its
  workers, whose channel to the supervisor has no async send (Airflow reports "not defined").

Needs nothing newer than 3.1: ``airflow.sdk.log.mask_secret``,
``airflow.sdk._shared.secrets_masker.redact`` and the task end events (``TaskSuccessEvent`` with
``xcoms``, ``TaskSkippedEvent``, ``TaskFailedEvent``) are all in 3.1. The 3.3-only features (the task
state store, shared streams) and 3.2's trigger queues are used nowhere here: code that adds one
detects it (``context.get("task_state_store")``, ``hasattr(BaseEventTrigger, "open_shared_stream")``)
and keeps a 3.1 path.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook, Connection

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
            """Mask ``secret`` in this process's logs (3.1 and 3.2 have no async variant).

            The sync form may talk to the supervisor with a blocking send: it runs off the loop.
            """
            from airflow.sdk.log import mask_secret

            await asyncio.to_thread(mask_secret, secret, name)


def _in_a_task_worker() -> bool:
    """Return whether this process is a task's worker (not the triggerer, not a bare test process)."""
    from airflow.sdk.execution_time import task_runner
    from airflow.sdk.execution_time.comms import CommsDecoder

    # The triggerer installs its own subclass; a worker uses the plain decoder.
    return type(getattr(task_runner, "SUPERVISOR_COMMS", None)) is CommsDecoder


async def aget_connection(conn_id: str) -> Connection:
    """Return Airflow connection ``conn_id``, in the triggerer or a worker; raise ``AirflowNotFoundException``."""
    try:
        return await BaseHook.aget_connection(conn_id)
    except AirflowNotFoundException:
        if not _in_a_task_worker():
            raise
    # A 3.1 or 3.2 worker: its async lookup cannot reach the supervisor; the sync one can, off this loop.
    return await asyncio.to_thread(BaseHook.get_connection, conn_id)


__all__ = [
    "AirflowFailException",
    "AirflowNotFoundException",
    "AirflowSensorTimeout",
    "AirflowSkipException",
    "Stats",
    "TaskDeferred",
    "aget_connection",
    "amask_secret",
]
