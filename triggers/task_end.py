"""Ending the task in the triggerer: the event a trigger yields when no worker needs to resume.

The sensor says per report outcome the task state the trigger may end the task in (``end_states``:
``{"met": "success", "timeout": "skipped", ...}``); another outcome goes back to the worker as a
report. Airflow then sets the state, pushes the XComs and runs the callbacks; a failed end honours
retries, which is why the sensor lists "failed" only when the task has none left to make.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from airflow.triggers.base import TaskFailedEvent, TaskSkippedEvent, TaskSuccessEvent, TriggerEvent

from triggers.report import REPORT_XCOM_KEY, Report

_EVENTS = {"success": TaskSuccessEvent, "skipped": TaskSkippedEvent, "failed": TaskFailedEvent}
OUTCOMES = ("met", "failed", "timeout")
#: What most triggers have: one read-only empty mapping for all, not an empty dict (64 bytes) each.
NO_END_STATES: Mapping[str, str] = MappingProxyType({})


#: The read-only mapping each valid ``end_states`` is shared as: a handful exist (three outcomes,
#: three states), and most waits in a triggerer carry one (a sensor without retries fails in it).
_SHARED_END_STATES: dict[tuple[tuple[str, str], ...], Mapping[str, str]] = {}


def validate_end_states(end_states: Mapping[str, str] | None) -> Mapping[str, str]:
    """Return ``end_states`` as a read-only mapping, one shared by every trigger given equal ones
    (:data:`NO_END_STATES` when empty).

    Raises TypeError (what a trigger constructor may raise) when malformed.
    """
    if not end_states:
        return NO_END_STATES
    checked = dict(end_states)
    for outcome, state in checked.items():
        if outcome not in OUTCOMES or state not in _EVENTS or (outcome == "met") != (state == "success"):
            raise TypeError(f"end_states: cannot end a {outcome!r} wait as {state!r}")
    return _SHARED_END_STATES.setdefault(tuple(sorted(checked.items())), MappingProxyType(checked))


def event_for(report: Report, end_states: Mapping[str, str], log: Any) -> TriggerEvent:
    """Return the event ending the task in ``end_states[report.outcome]``, else the report for the worker.

    A task-ending event carries the ``sensor_report`` XCom, and ``return_value`` when met.
    """
    state = end_states.get(report.outcome)
    if state is None:
        return TriggerEvent(report.to_event())
    xcoms: dict[str, Any] = {REPORT_XCOM_KEY: report.to_event()}
    if state == "success":
        xcoms["return_value"] = report.value
    log.info(
        "Wait ended: %s after %d attempts in %.1fs%s; the triggerer ends the task as %s (no worker)",
        report.outcome,
        report.attempts,
        report.waited,
        f" ({report.reason})" if report.reason else "",
        state,
    )
    return _EVENTS[state](xcoms=xcoms)
