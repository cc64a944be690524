"""Fixtures for end-to-end tests against one real local Airflow 3 stack per test session.

Environment knobs: ``DEVSTACK_SQL_ALCHEMY_CONN`` (default: SQLite in the stack's home),
``DEVSTACK_KEEP=1`` (keep the stack's home and logs even when every test passes).
"""

from __future__ import annotations

import os
import time
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from devstack import AirflowStack

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parents[1]
DAGS_FOLDER = E2E_DIR / "dags"
# Per-test timeout; the first test also pays for the stack's startup (about 30 s).
E2E_TIMEOUT = 600
_kept_homes: list[Path] = []


def _is_e2e(item: pytest.Item) -> bool:
    return E2E_DIR in Path(str(item.path)).resolve().parents


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _is_e2e(item):
            item.add_marker(pytest.mark.e2e)
            if item.get_closest_marker("timeout") is None:
                item.add_marker(pytest.mark.timeout(E2E_TIMEOUT))
    # Run e2e tests last: the stack stays up until the session ends, and its processes would
    # load the machine under the unit tests (the contract test times event-loop callbacks).
    items.sort(key=_is_e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On a failing e2e test, attach the components' log tails and keep the stack's logs."""
    report = yield
    stack = getattr(item, "funcargs", {}).get("airflow_stack")
    if report.failed and isinstance(stack, AirflowStack):
        stack.keep = True
        report.sections.append(("airflow stack", f"home: {stack.home}\nlogs: {stack.logs_dir}\n{stack.log_tails(40)}"))
    return report


@pytest.fixture(scope="session")
def ml_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ML data sources of this session's stack (``ML_DATA_DIR``), not the seed's shared /tmp/ml-data.

    Several checkouts on one machine run this suite at once; a shared directory let one session
    clear or fill another's sources.
    """
    return tmp_path_factory.mktemp("ml-data")


@pytest.fixture(scope="session")
def airflow_stack(ml_data_dir: Path) -> Iterator[AirflowStack]:
    """One running stack (api-server, scheduler, dag-processor, triggerer) with ``tests/e2e/dags``."""
    stack = AirflowStack(
        DAGS_FOLDER,
        env={"ML_DATA_DIR": str(ml_data_dir)},
        sql_alchemy_conn=os.environ.get("DEVSTACK_SQL_ALCHEMY_CONN") or None,
        pythonpath=[REPO_ROOT],
        keep=os.environ.get("DEVSTACK_KEEP") == "1",
        # `airflow db migrate` alone took 150 s on the shared 2-core machine under load; 240 s was too short
        startup_timeout=600,
        http_timeout=120,  # one REST answer took more than 30 s on the loaded machine
    )
    began = time.monotonic()
    try:
        with stack:
            print(f"\n[devstack] stack up in {time.monotonic() - began:.1f}s at {stack.base_url}, home {stack.home}")
            yield stack
    finally:
        if stack.keep:
            _kept_homes.append(stack.home)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for home in _kept_homes:
        terminalreporter.write_line(f"[devstack] Airflow stack logs kept in {home}/stack-logs and {home}/logs")
