"""A stack of its own for the failover test: PostgreSQL metadata, a fast triggerer heartbeat.

The stack runs the DAGs in ``tests/e2e/failover/dags`` with ``sql_alchemy_conn`` on a fresh
database of this machine's PostgreSQL (psycopg2, the driver Airflow uses for ``postgresql://``).
Triggerers heartbeat every second and are declared dead after ``HEALTH_THRESHOLD`` seconds
(Airflow's defaults: 5 s and 30 s), so a failover takes seconds. The test starts the second
triggerer itself. Module-scoped: the stack stops when the module ends, so it never runs beside
the session's SQLite stack for longer than this module.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import AirflowStack
from tests.support.http_server import LoopbackServer
from tests.support.postgres import PostgresDatabase, fresh_database

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[2]
# Tight enough for a quick failover, loose enough that a triggerer slowed by a booting neighbour on a
# loaded 2-core machine is not declared dead while alive (5 s was not).
HEALTH_THRESHOLD = 10
FAST_TRIGGERERS = {
    "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
    "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": str(HEALTH_THRESHOLD),
}


@pytest.fixture(scope="module")
def metadata_db() -> Iterator[PostgresDatabase]:
    """A fresh PostgreSQL database for Airflow's metadata (skips without the server unless CI=true)."""
    if importlib.util.find_spec("psycopg2") is None:
        message = (
            "psycopg2 is not installed: Airflow needs it for a PostgreSQL metadata DB (pip install psycopg2-binary)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: the failover test must run)")
        pytest.skip(message)
    with fresh_database("ads_e2e_failover") as database:
        yield database


@pytest.fixture(scope="module")
def sources_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory every sensor of the failover DAG watches (``$FAILOVER_E2E_DIR``)."""
    return tmp_path_factory.mktemp("failover-e2e")


@pytest.fixture(scope="module")
def api() -> Iterator[LoopbackServer]:
    """The loopback server behind the connection ``failover_http``."""
    with LoopbackServer() as server:
        yield server


@pytest.fixture(scope="module")
def airflow_stack(metadata_db: PostgresDatabase, sources_dir: Path) -> Iterator[AirflowStack]:
    """One stack (api-server, scheduler, dag-processor, one triggerer) on PostgreSQL."""
    stack = AirflowStack(
        HERE / "dags",
        sql_alchemy_conn=f"postgresql+psycopg2://{metadata_db.user}@{metadata_db.host}:{metadata_db.port}/{metadata_db.name}",
        env={**FAST_TRIGGERERS, "FAILOVER_E2E_DIR": str(sources_dir)},
        pythonpath=[REPO_ROOT],
        keep=os.environ.get("DEVSTACK_KEEP") == "1",
        startup_timeout=600,  # as tests/e2e/conftest.py: a loaded shared machine migrates slowly
        http_timeout=120,
    )
    began = time.monotonic()
    with stack:
        print(f"\n[failover] stack on PostgreSQL up in {time.monotonic() - began:.1f}s, home {stack.home}")
        yield stack
