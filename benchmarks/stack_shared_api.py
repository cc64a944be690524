"""M APIHealthSensors on the seed's mock API, deferred in one triggerer of a real Airflow stack.

    python -m benchmarks.stack_shared_api [--sensors 200] [--hold 30]

The mock API (sandbox.api_server, in this process) is in maintenance (503) until the run has
deferred every sensor and been watched for ``hold`` seconds; it counts every ``/api/health``
request. Records: seconds until every sensor is deferred, the triggerers holding them, the
requests the API saw while they deferred (less one per sensor: its worker checks once before it
defers, the rest are the triggerer's) and while they all waited (and the most in any one poke
interval), then how long after the API turned healthy the run succeeded. tests/e2e/test_shared_probe.py runs the same
measure on the e2e stack with a smaller DAG.
"""

from __future__ import annotations

import argparse
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from devstack import AirflowStack
from sandbox.api_server import BackgroundServer, make_app, starting_in_maintenance

DAG_ID = "bench_shared_api"
CONN_ID = "bench_shared_api"
POKE_INTERVAL = 5.0
#: No backoff and no jitter: each sensor looks every poke interval, as often as HttpSensor polls,
#: the strictest case for "one request per poke interval".
DAG_FILE = '''
"""Benchmark DAG: {sensors} APIHealthSensors on one endpoint (written by benchmarks.stack_shared_api)."""

from airflow.sdk import DAG

from sensors import APIHealthSensor

with DAG(dag_id="{dag_id}", schedule=None, catchup=False, max_active_tasks={sensors}, tags=["benchmark"]):
    for i in range({sensors}):
        APIHealthSensor(
            task_id=f"wait_{{i:03d}}",
            endpoint_url="/api/health",
            http_conn_id="{conn_id}",
            expected_response={{"status": "healthy"}},
            poke_interval={poll},
            backoff_factor=1,
            backoff_jitter=0,
            timeout=1800,
        )
'''
#: the maintenance half of the mock API's cycle: longer than any run; the flip jumps past it
MAINTENANCE = 3600.0


@dataclass
class CountingApi:
    """The seed's mock API in maintenance until :meth:`flip`; ``seen`` holds each health request's time."""

    seen: list[float] = field(default_factory=list)
    flipped_at: float | None = None
    port: int = 0

    def clock(self) -> float:
        """The API's clock: after the flip, a time in the healthy half of its cycle."""
        return time.time() + (MAINTENANCE if self.flipped_at is not None else 0.0)

    def flip(self) -> None:
        """Turn the API healthy now."""
        self.flipped_at = time.time()

    def between(self, start: float, end: float) -> list[float]:
        return [at for at in list(self.seen) if start <= at < end]


@contextmanager
def counting_api() -> Iterator[CountingApi]:
    """Serve the mock API from a thread, in maintenance until flipped, counting ``/api/health``."""
    api = CountingApi()
    app = make_app(starting_in_maintenance(2 * MAINTENANCE), clock=api.clock)
    lock = threading.Lock()

    @web.middleware
    async def count(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path == "/api/health":
            with lock:
                api.seen.append(time.time())
        response: web.StreamResponse = await handler(request)
        return response

    app.middlewares.append(count)
    with BackgroundServer(app) as server:
        api.port = server.port
        yield api


@dataclass(frozen=True)
class SharedRun:
    """What one run of ``sensors`` sensors on one endpoint showed."""

    sensors: int
    all_deferred_seconds: float
    triggerers: int
    hold_seconds: float
    requests_while_waiting: int
    most_in_one_poll: int
    poll: float
    recovered_seconds: float
    succeeded: int
    state: str
    #: requests from the run's start until the count above began (each sensor's worker checks once
    #: before it defers), and how long that was
    requests_while_deferring: int = 0
    deferring_seconds: float = 0.0

    @property
    def looks_while_deferring(self) -> int:
        """The requests while they deferred beyond each worker's own first check: the triggerer's."""
        return self.requests_while_deferring - self.sensors


def most_in_any_window(times: list[float], width: float) -> int:
    """Return the most of ``times`` that fall in any half-open window ``width`` seconds long."""
    times = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= width:
            first += 1
        most = max(most, last - first + 1)
    return most


def measure(stack: AirflowStack, api: CountingApi, dag_id: str, sensors: int, poll: float, hold: float) -> SharedRun:
    """Trigger one run, wait until all ``sensors`` defer, count requests for ``hold`` s, flip, wait for success."""
    stack.create_connection(CONN_ID, "http", host="127.0.0.1", port=api.port)
    stack.wait_for_dag(dag_id, timeout=180)
    began, began_at = time.monotonic(), time.time()
    run_id = stack.trigger_dag(dag_id)
    deadline = began + 120 + sensors * 3  # bounded: LocalExecutor starts tasks a few per second at most
    while sum(state == "deferred" for state in stack.task_states(dag_id, run_id).values()) < sensors:
        stack.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError(f"not all {sensors} sensors deferred: {stack.task_states(dag_id, run_id)}")
        time.sleep(1.0)
    all_deferred = time.monotonic() - began
    time.sleep(2 * poll)  # the last deferred triggers reach the triggerer and take their first look
    start = time.time()
    time.sleep(hold)
    waiting = api.between(start, time.time())
    path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances"
    listed = stack.request("GET", path, params={"limit": 1000}).json()["task_instances"]
    holders = {(ti.get("triggerer_job") or {}).get("id") for ti in listed} - {None}
    api.flip()
    flipped = time.monotonic()
    state = stack.wait_for_run(dag_id, run_id, timeout=120 + sensors)
    states = stack.task_states(dag_id, run_id)
    return SharedRun(
        sensors=sensors,
        all_deferred_seconds=all_deferred,
        triggerers=len(holders),
        hold_seconds=hold,
        requests_while_waiting=len(waiting),
        most_in_one_poll=most_in_any_window(waiting, poll),
        poll=poll,
        recovered_seconds=time.monotonic() - flipped,
        succeeded=sum(s == "success" for s in states.values()),
        state=state,
        requests_while_deferring=len(api.between(began_at, start)),
        deferring_seconds=start - began_at,
    )


def run(sensors: int, hold: float = 30.0, poll: float = POKE_INTERVAL) -> SharedRun:
    """Start a stack with the benchmark DAG and the counting API, measure one run, stop both."""
    with tempfile.TemporaryDirectory(prefix="bench-shared-api-") as tmp, counting_api() as api:
        dags = Path(tmp) / "dags"
        dags.mkdir()
        text = DAG_FILE.format(sensors=sensors, dag_id=DAG_ID, conn_id=CONN_ID, poll=poll)
        (dags / f"{DAG_ID}.py").write_text(textwrap.dedent(text).lstrip())
        with AirflowStack(dags) as stack:
            return measure(stack, api, DAG_ID, sensors, poll, hold)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sensors", type=int, default=200)
    parser.add_argument("--hold", type=float, default=30.0, help="seconds to count requests while all wait")
    args = parser.parse_args()
    print(run(args.sensors, args.hold))


if __name__ == "__main__":
    main()
