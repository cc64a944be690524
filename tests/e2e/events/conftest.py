"""A stack of its own for the event watchers: PostgreSQL metadata (a killed triggerer is replaced), a fast heartbeat.

The stack runs ``tests/e2e/events/dags`` with ``$EVENTS_E2E_DIR`` (the watched directory) and
``$EVENTS_E2E_API`` (a loopback server the test controls) in its environment. Module-scoped.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import AirflowStack
from tests.e2e.failover.conftest import FAST_TRIGGERERS, metadata_db
from tests.support.http_server import LoopbackServer, Reply
from tests.support.postgres import PostgresDatabase

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[2]

__all__ = ["metadata_db"]


@pytest.fixture(scope="module")
def watched_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("events-e2e")


@pytest.fixture(scope="module")
def api() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        server.script("/health", Reply(200, json={"status": "ok"}))
        yield server


@pytest.fixture(scope="module")
def airflow_stack(metadata_db: PostgresDatabase, watched_dir: Path, api: LoopbackServer) -> Iterator[AirflowStack]:
    """One stack (api-server, scheduler, dag-processor, one triggerer) on PostgreSQL."""
    stack = AirflowStack(
        HERE / "dags",
        sql_alchemy_conn=f"postgresql+psycopg2://{metadata_db.user}@{metadata_db.host}:{metadata_db.port}/{metadata_db.name}",
        env={**FAST_TRIGGERERS, "EVENTS_E2E_DIR": str(watched_dir), "EVENTS_E2E_API": api.url("/health")},
        pythonpath=[REPO_ROOT],
        keep=os.environ.get("DEVSTACK_KEEP") == "1",
    )
    began = time.monotonic()
    with stack:
        print(f"\n[events] stack on PostgreSQL up in {time.monotonic() - began:.1f}s, home {stack.home}")
        yield stack
