"""``python -m devstack up --dags DIR``: run a local Airflow 3 stack until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from devstack.airflow_stack import AirflowStack
from devstack.errors import StackError


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start a stack and keep it running until Ctrl-C")
    up.add_argument("--dags", required=True, type=Path, help="DAGs folder")
    up.add_argument("--home", type=Path, help="AIRFLOW_HOME to use (default: a new temp dir, kept)")
    up.add_argument("--db", help="SQLAlchemy URL (default: SQLite in the home)")
    up.add_argument("--port", type=int, help="api-server port (default: a free one)")
    up.add_argument("--pythonpath", type=Path, action="append", default=[], help="prepend to PYTHONPATH")
    up.add_argument("--set", action="append", default=[], metavar="AIRFLOW__X__Y=V", help="extra env var")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the process exit code."""
    args = _parse(argv)
    env = dict(item.split("=", 1) for item in args.set)
    stack = AirflowStack(
        args.dags,
        home=args.home,
        sql_alchemy_conn=args.db,
        env=env,
        pythonpath=[Path.cwd(), *args.pythonpath],
        port=args.port,
        keep=True,
    )
    # SIGINT and SIGTERM both raise KeyboardInterrupt (SIGINT may be ignored when started with &).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    print(f"starting Airflow (home {stack.home}) ...", flush=True)
    try:
        with stack:
            print(f"UI:   {stack.base_url}/  (all users are admin)", flush=True)
            print(f"API:  {stack.base_url}/api/v2  docs: {stack.base_url}/docs", flush=True)
            print(f"logs: {stack.logs_dir}  tasks: {stack.home / 'logs'}", flush=True)
            print(f"up in {stack.startup_seconds:.1f}s; Ctrl-C to stop", flush=True)
            try:
                while True:
                    stack.check_alive()
                    time.sleep(2)
            except KeyboardInterrupt:
                print("stopping ...", flush=True)
    except KeyboardInterrupt:
        print("interrupted during startup", file=sys.stderr)
        return 130
    except StackError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
