"""Where a deferred wait ends: in the triggerer (no worker at all) or back on a worker.

A failure or timeout ends in the triggerer as skipped with ``soft_fail``, or as failed when the
task has no retries (Airflow retries a failed end, which our failures must not). A met wait ends
there with Airflow 3's ``TaskSuccessEvent`` (the XComs ride on it) when it has no return value
to hand downstream, or when the DAG asks (``end_in_triggerer=True``): in Airflow 3.3.2 the core
pushes task-end XComs JSON-encoded (``XComModel.set``) while Task SDK workers read them raw, so
a downstream task pulls the value as JSON text (seen on the e2e stack). Everything else resumes
on a worker through ``execute_complete``, as does every wait whose sensor runs code after it,
and every wait under ``airflow dags test``, which ignores task-end events.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from airflow.triggers.base import StartTriggerArgs

from triggers.errors import ConfigurationError

#: The module prefix of this library's sensors: their report hooks only log.
_LIBRARY = "sensors."
#: Hooks that run on the worker after the wait; a subclass outside this library that overrides one
#: has code to run there, so its waits resume on a worker.
_AFTER_WAIT_HOOKS = ("on_report", "complete", "execute_complete")
#: The user ``airflow dags test`` creates its runs as (airflow/sdk/definitions/dag.py, DAG.test).
_DAG_TEST_USER = "dag_test"


def end_states(sensor: Any, context: Mapping[str, Any] | None) -> dict[str, str]:
    """Return report outcome -> task state for the outcomes the trigger may end the task in by itself."""
    chosen = sensor.end_in_triggerer
    if chosen is False or not sensor.can_end_in_triggerer or runs_code_after_wait(sensor) or is_dag_test(context):
        return {}
    ends = {"met": "success"} if chosen or not sensor.do_xcom_push else {}
    if sensor.soft_fail or sensor.never_fail:
        ends.update(failed="skipped", timeout="skipped")
    elif not sensor.retries:
        ends.update(failed="failed", timeout="failed")
    return ends


def runs_code_after_wait(sensor: Any) -> bool:
    """Return True when a class outside this library overrides a hook that runs after the wait."""
    for name in _AFTER_WAIT_HOOKS:
        owner = next(c for c in type(sensor).__mro__ if name in vars(c))
        if not owner.__module__.startswith(_LIBRARY):
            return True
    return False


def is_dag_test(context: Mapping[str, Any] | None) -> bool:
    """Return True under ``airflow dags test``, which resumes every deferral on the worker."""
    dag_run = (context or {}).get("dag_run")
    return getattr(dag_run, "triggering_user_name", None) == _DAG_TEST_USER


def start_trigger_args(sensor: Any, templated: set[str]) -> StartTriggerArgs:
    """Return what Airflow needs to begin ``sensor``'s wait in the triggerer, with no worker first.

    The trigger's kwargs are fixed when the DAG is parsed, so every argument must be known then:
    raises ConfigurationError naming ``start_from_trigger`` when one is templated, when the sensor
    is not deferrable, or when it needs a worker before its wait. The wait has no absolute
    deadline (it would count from parse time): Airflow's trigger timeout ends it at ``timeout``.
    """
    problem = None
    if not sensor.supports_start_from_trigger:
        problem = f"{type(sensor).__name__} prepares its wait on a worker; it cannot start in the triggerer"
    elif not sensor.deferrable:
        problem = "needs deferrable=True"
    elif templated:
        problem = f"needs arguments known at parse time; templated: {', '.join(sorted(templated))}"
    if problem is not None:
        raise ConfigurationError("start_from_trigger", problem)
    trigger = sensor.build_trigger(sensor.build_check(), None, None)
    classpath, kwargs = trigger.serialize()
    return StartTriggerArgs(
        trigger_cls=classpath,
        next_method="execute_complete",
        trigger_kwargs=kwargs,
        next_kwargs=None,
        timeout=timedelta(seconds=float(sensor.timeout)),
    )
