"""Airflow metrics for every check, so StatsD and OpenTelemetry users see sensor behaviour.

Names: ``deferrable_sensors.attempts`` (count, tags: check, outcome, error) and
``deferrable_sensors.check_duration`` (timing in ms, tag: check). Airflow's Stats is a no-op
unless metrics are configured, so this costs nothing by default.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable

from triggers.compat import Stats
from triggers.history import Attempt
from triggers.outcomes import Outcome

PREFIX = "deferrable_sensors"


@functools.cache  # one observer per kind, not a closure per waiting trigger
def emit_attempt(check_kind: str) -> Callable[[Attempt, Outcome], None]:
    """Return an observer that sends one attempt's metrics, tagged with ``check_kind``."""

    def observe(record: Attempt, outcome: Outcome) -> None:
        tags = {"check": check_kind, "outcome": record.outcome, "error": record.error or "none"}
        Stats.incr(f"{PREFIX}.attempts", tags=tags)
        Stats.timing(
            f"{PREFIX}.check_duration", datetime.timedelta(seconds=record.duration), tags={"check": check_kind}
        )

    return observe
