"""What the tests need from the installed Airflow 3.x, found by feature like triggers/compat.py.

``@pytest.mark.airflow_min("3.3", reason=...)`` marks a test of a feature an older release lacks;
tests/conftest.py skips it there, with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from typing import Any

from triggers.compat import Stats

try:
    from airflow.dag_processing.dagbag import DagBag
except ImportError:  # 3.1, 3.2
    from airflow.models.dagbag import DagBag

try:
    from airflow.sdk._shared.observability.metrics.base_stats_logger import NoStatsLogger
except ImportError:  # 3.1, 3.2
    from airflow.metrics.base_stats_logger import NoStatsLogger

__all__ = ["DagBag", "NoStatsLogger", "airflow_release", "stats_backend"]


def airflow_release() -> tuple[int, int]:
    """Return the installed Airflow's (major, minor)."""
    major, minor = version("apache-airflow-core").split(".")[:2]
    return int(major), int(minor)


@contextmanager
def stats_backend(factory: Any) -> Iterator[None]:
    """Send Airflow's metrics to a backend built by ``factory`` inside the block, then to none."""
    if hasattr(Stats, "initialize"):  # 3.3
        Stats.initialize(factory=factory, export_legacy_names=False)
        try:
            yield
        finally:
            Stats.initialize(factory=NoStatsLogger, export_legacy_names=True)
        return
    # 3.1, 3.2: Stats keeps the instance it built for this process (by pid) until it is reset.
    Stats.instance, Stats._instance_pid = factory(), os.getpid()
    try:
        yield
    finally:
        Stats.instance = Stats._instance_pid = None  # the next use builds the configured backend
