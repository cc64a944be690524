"""``python -m sandbox demo`` runs the example DAGs once; ``python -m sandbox up`` keeps everything up."""

from __future__ import annotations

import signal
import sys
import tempfile
import threading
from pathlib import Path

from devstack import AirflowStack
from sandbox.demo import DAGS, REPO
from sandbox.demo import main as demo_main
from sandbox.scenario import Scenario


def up(argv: list[str]) -> int:
    """Start the sandbox (seed timings) and a local Airflow with the example DAGs until Ctrl-C."""
    scenario = Scenario(Path(tempfile.mkdtemp(prefix="deferrable-sensors-sandbox-")), time_scale=1.0)
    scenario.prepare()
    scenario.start_clock()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        with AirflowStack(DAGS, env=scenario.environment(), pythonpath=[REPO, DAGS], keep=True) as stack:
            print(f"Airflow UI: {stack.base_url}  (all users are admins; no login)")
            print(f"Sandbox: {scenario.root}; mock API: {scenario.api_url}; logs: {stack.logs_dir}")
            print("Trigger the example DAGs from the UI. Ctrl-C stops everything.", flush=True)
            stop.wait()
    finally:
        scenario.stop()
    return 0


def main() -> int:
    command, rest = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("demo", [])
    if command == "demo":
        return demo_main(rest)
    if command == "up":
        return up(rest)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
