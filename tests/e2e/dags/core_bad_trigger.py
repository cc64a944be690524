"""E2E DAG: one sensor defers with trigger kwargs this release cannot use, among 20 healthy ones.

``from_another_release`` builds a normal file trigger in the worker, then serialises it with a
check kind no release of this library has, as a worker running a newer release would. The
triggerer must fail that one task with the reason and keep running the 20 others.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import DAG

from sensors import FileArrivalSensor

HEALTHY = 20
UNKNOWN_KIND = "file_from_release_99"


class FromAnotherRelease(FileArrivalSensor):
    """Defers like FileArrivalSensor, but its trigger row names a check kind from another release."""

    def defer(self, *, trigger: Any, **kwargs: Any) -> Any:
        classpath, given = trigger.serialize()
        changed = {**given, "check": {**given["check"], "kind": UNKNOWN_KIND}}
        trigger.serialize = lambda: (classpath, changed)  # what the task runner stores for the triggerer
        return super().defer(trigger=trigger, **kwargs)


with DAG(dag_id="core_bad_trigger", schedule=None, catchup=False, max_active_tasks=32, tags=["e2e", "core"]):
    FromAnotherRelease(
        task_id="from_another_release", filepath="{{ dag_run.conf['dir'] }}/never.csv", poke_interval=2, timeout=600
    )
    for number in range(HEALTHY):
        FileArrivalSensor(
            task_id=f"healthy_{number:02d}",
            filepath=f"{{{{ dag_run.conf['dir'] }}}}/ready-{number:02d}.csv",
            poke_interval=30,
            timeout=600,
        )
