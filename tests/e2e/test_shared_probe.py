"""Thirty APIHealthSensors deferred in one triggerer of a real stack share one request per look.

The seed's mock API stays in maintenance while they wait and counts every health request; then it
turns healthy and every sensor succeeds. benchmarks.stack_shared_api runs the same measure with 200.
"""

from __future__ import annotations

from benchmarks.stack_shared_api import counting_api, measure
from devstack import AirflowStack

DAG_ID = "http_shared_probe"
SENSORS = 30  # tests/e2e/dags/http_shared_probe.py
POLL = 5.0


def test_thirty_deferred_sensors_on_one_endpoint_send_one_request_per_poke_interval(
    airflow_stack: AirflowStack,
) -> None:
    with counting_api() as api:
        run = measure(airflow_stack, api, DAG_ID, SENSORS, POLL, hold=3 * POLL)
    print(f"\n[shared probe e2e] {run}")
    assert run.triggerers == 1
    # 30 waits of their own would send 30 per interval: shared, one, every interval
    assert run.most_in_one_poll == 1, run
    assert 2 <= run.requests_while_waiting <= 4, run  # 15 s at one look every 5 s
    # while they defer one after another: each worker checks once, and the triggerer's looks
    # take an answer younger than their interval (30 more before a first look could take one)
    assert run.looks_while_deferring <= run.deferring_seconds / POLL + 1, run
    assert (run.state, run.succeeded) == ("success", SENSORS), run
