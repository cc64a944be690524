"""N sensors whose condition is already true when they defer, on a real Airflow stack: do any fail?

    python -m benchmarks.fast_wakeups [--sensors 200] [--runs 3] [--sqlite]

Airflow 3.2-3.3 can fail a deferred task whose trigger fires before the scheduler has processed
the executor's event for the worker's exit on ``defer()`` (apache/airflow 66374, 67287, 71580,
72716; see ``triggers/settle.py``). This starts devstack.AirflowStack (LocalExecutor; metadata in
a fresh PostgreSQL database, or SQLite with ``--sqlite``, where a loaded machine's lock timeouts
can kill the dag-processor) with two DAGs of ``sensors`` APIHealthSensors against
``sandbox.wake_api``: each endpoint answers 503 to the worker's check and 200 from then on, so
every trigger is met on its first check, moments after the deferral. ``fast_wakeups`` uses the
default ``settle``; ``fast_wakeups_no_settle`` sets ``settle=0``, which is the behaviour before
the hold. The runs alternate between them on one stack (with the hold first) and count the task
instances that did not succeed and the scheduler's "state mismatch" verdicts.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import tempfile
import textwrap
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from benchmarks.measure import percentile
from devstack import AirflowStack
from sandbox.api_server import BackgroundServer
from sandbox.wake_api import WakeApi
from tests.support.postgres import fresh_database

DAG_ID = "fast_wakeups"
NO_SETTLE_DAG_ID = "fast_wakeups_no_settle"
CONN_ID = "fast_wake_api"
#: What the scheduler logs when it fails a task over a stale executor event.
MISMATCH = "but the task instance's state attribute is"
DAG_FILE = '''
"""{sensors} APIHealthSensors met on the trigger's first check (written by benchmarks.fast_wakeups)."""

from airflow.sdk import DAG

from sensors import APIHealthSensor

for dag_id, settle in (("{dag_id}", {{}}), ("{no_settle_dag_id}", {{"settle": 0}})):
    with DAG(dag_id=dag_id, schedule=None, catchup=False, max_active_tasks={sensors}, tags=["benchmark"]):
        for i in range({sensors}):
            APIHealthSensor(
                task_id=f"wake_{{i:03d}}",
                endpoint_url=f"/wake/{{i:03d}}",
                http_conn_id="{conn_id}",
                poke_interval=5,
                timeout=600,
                retries=0,
                **settle,
            )
'''


def write_dags(folder: Path, sensors: int) -> Path:
    """Write the two DAGs of ``sensors`` sensors into ``folder``; return the file's path."""
    path = folder / f"{DAG_ID}.py"
    text = DAG_FILE.format(sensors=sensors, dag_id=DAG_ID, no_settle_dag_id=NO_SETTLE_DAG_ID, conn_id=CONN_ID)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def _stamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def exit_read_lags(stack: AirflowStack, dag_id: str, run_id: str) -> list[float]:
    """Return, per task, seconds from its worker's "Pausing task as DEFERRED" to the scheduler reading that exit.

    The scheduler logs "Received executor event with state success ... try_number=1" when it reads
    the worker's exit; the race is lost when the resumed task was queued before that.
    """
    deferred: dict[str, float] = {}
    for log in stack.home.glob(f"logs/dag_id={dag_id}/run_id={run_id}/task_id=*/attempt=1.log"):
        for line in log.read_text(errors="replace").splitlines():
            if "Pausing task as DEFERRED" in line:
                deferred[log.parent.name.removeprefix("task_id=")] = _stamp(json.loads(line)["timestamp"])
                break
    pattern = re.compile(
        rf"(\S+Z) .*Received executor event with state success for task instance "
        rf"TaskInstanceKey\(dag_id='{dag_id}', task_id='([^']+)', run_id='{re.escape(run_id)}', try_number=1"
    )
    read: dict[str, float] = {}
    for line in stack.log_path("scheduler").read_text(errors="replace").splitlines():
        if (match := pattern.match(line)) and match.group(2) not in read:
            read[match.group(2)] = _stamp(match.group(1))
    return sorted(read[task] - at for task, at in deferred.items() if task in read)


@dataclass(frozen=True)
class WakeRun:
    """What one DAG run of fast wake-ups showed."""

    dag_id: str
    run_state: str
    sensors: int
    states: dict[str, int]
    mismatches: int
    seconds: float
    deferred_first: int
    exit_read_lags: tuple[float, ...] = ()

    @property
    def failed(self) -> int:
        """Task instances that did not end in success."""
        return self.sensors - self.states.get("success", 0)


def run_once(stack: AirflowStack, api: WakeApi, sensors: int, dag_id: str = DAG_ID) -> WakeRun:
    """Trigger one run, wait for it to end; return its task states and the scheduler's mismatch verdicts."""
    api.reset()
    log = stack.log_path("scheduler")
    mismatches_before = log.read_text(errors="replace").count(MISMATCH)
    began = time.monotonic()
    run_id = stack.trigger_dag(dag_id)
    run_state = stack.wait_for_run(dag_id, run_id, timeout=300 + sensors * 6)
    states = Counter(str(s) for s in stack.task_states(dag_id, run_id).values())
    return WakeRun(
        dag_id=dag_id,
        run_state=run_state,
        sensors=sensors,
        states=dict(states),
        mismatches=log.read_text(errors="replace").count(MISMATCH) - mismatches_before,
        seconds=time.monotonic() - began,
        # every endpoint asked twice or more went through the trigger (503 to the worker, then 200)
        deferred_first=sum(1 for n in api.asked.values() if n >= 2),
        exit_read_lags=tuple(exit_read_lags(stack, dag_id, run_id)),
    )


def run(sensors: int, runs: int, *, sqlite: bool = False, compare: bool = True) -> list[WakeRun]:
    """Start the API and a stack with both DAGs, do ``runs`` runs of each (the held one only without ``compare``)."""
    with contextlib.ExitStack() as stop:
        conn = None
        if not sqlite:
            db = stop.enter_context(fresh_database("bench_fast_wakeups"))
            conn = f"postgresql+psycopg2://{db.user}@{db.host}:{db.port}/{db.name}"
        api = WakeApi()
        server = stop.enter_context(BackgroundServer(api.app))
        dags = Path(stop.enter_context(tempfile.TemporaryDirectory(prefix="bench-wakeups-"))) / "dags"
        dags.mkdir()
        write_dags(dags, sensors)
        # On this shared machine under load, `airflow db migrate` took 150 s, one REST answer more
        # than 30 s, and 200 tasks at once exhausted the api-server's default 5 + 10 DB connections.
        pool = {"AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE": "10", "AIRFLOW__DATABASE__SQL_ALCHEMY_MAX_OVERFLOW": "20"}
        stack = stop.enter_context(
            AirflowStack(dags, sql_alchemy_conn=conn, env=pool, startup_timeout=600, http_timeout=120)
        )
        stack.create_connection(CONN_ID, "http", host="127.0.0.1", port=server.port)
        for dag_id in (DAG_ID, NO_SETTLE_DAG_ID):
            stack.wait_for_dag(dag_id, timeout=180)
        results = []
        for number in range(1, runs + 1):
            for dag_id in (DAG_ID, NO_SETTLE_DAG_ID) if compare else (DAG_ID,):
                result = run_once(stack, api, sensors, dag_id)
                lags = result.exit_read_lags or (0.0,)
                print(
                    f"[fast_wakeups] {dag_id} run {number} {result.run_state}: {result.sensors} sensors,"
                    f" states {result.states},"
                    f" {result.mismatches} state mismatches, {result.deferred_first} met by their trigger,"
                    f" {result.seconds:.0f} s; deferral -> scheduler read the worker's exit, s:"
                    f" p50 {percentile(lags, 0.5):.1f} p90 {percentile(lags, 0.9):.1f} max {max(lags):.1f}",
                    flush=True,
                )
                results.append(result)
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sensors", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3, help="runs of each DAG")
    parser.add_argument("--sqlite", action="store_true", help="SQLite metadata instead of PostgreSQL")
    parser.add_argument("--held-only", action="store_true", help="run only the DAG with the default settle")
    args = parser.parse_args()
    results = run(args.sensors, args.runs, sqlite=args.sqlite, compare=not args.held_only)
    for dag_id in (DAG_ID, NO_SETTLE_DAG_ID):
        if failed := [r.failed for r in results if r.dag_id == dag_id]:
            print(f"{dag_id}: {args.sensors} sensors per run; failed task instances per run {failed}")


if __name__ == "__main__":
    main()
