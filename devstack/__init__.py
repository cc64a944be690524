"""A real local Airflow 3 stack for end-to-end tests and exploration (``python -m devstack up``).

with AirflowStack("tests/e2e/dags", pythonpath=["."]) as stack:
    stack.wait_for_dag("my_dag")
    run_id = stack.trigger_dag("my_dag", conf={"x": 1})
    stack.wait_for_task_state("my_dag", run_id, "sensor", "deferred", timeout=60)
    assert stack.pool_slots()["running_slots"] == 0
    assert stack.wait_for_run("my_dag", run_id) == "success"
"""

from devstack.airflow_stack import DEFAULT_COMPONENTS, AirflowStack
from devstack.client import AirflowClient, ApiError
from devstack.errors import ComponentDied, StackError, StackTimeout, UnexpectedState

__all__ = [
    "DEFAULT_COMPONENTS",
    "AirflowClient",
    "AirflowStack",
    "ApiError",
    "ComponentDied",
    "StackError",
    "StackTimeout",
    "UnexpectedState",
]
