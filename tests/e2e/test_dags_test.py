"""`airflow dags test` runs every example DAG in dags/ to a successful run.

A DAG author's first try of a DAG is often ``airflow dags test``: it runs the tasks in one process,
the trigger in line, and resumes the sensor on the same process. Here the CLI runs each example
DAG against the seed's sandbox (scaled to a tenth of the seed's timings), each in its own
``AIRFLOW_HOME`` copied from one migrated SQLite database, a few at a time.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sandbox.scenario import Scenario

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "dags"
AIRFLOW = Path(sys.executable).with_name("airflow")
EXAMPLES = sorted(p.stem for p in DAGS.glob("*.py") if p.stem != "example_settings")
TIME_SCALE = 0.1
AT_ONCE = 4  # CLI runs in parallel: each is mostly interpreter start-up on a two-core machine


def base_environment(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        # Explicit: the airflow.cfg that ``db migrate`` writes names the template's database by its
        # absolute path, so every copied home would share it (and race on its asset rows).
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }


def warehouse(path: Path) -> str:
    """Return the URI of a SQLite warehouse whose load of today (``ds`` of a test run) is complete."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE loads (day TEXT, status TEXT, finished_at TEXT)")
        today = datetime.datetime.now(datetime.UTC).date().isoformat()
        db.execute("INSERT INTO loads VALUES (?, 'complete', ?)", (today, f"{today}T02:00:00"))
    db.close()
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def dags_test_results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[int, str]]]:
    """Run ``airflow dags test`` on every example DAG; yield dag id -> (exit code, output)."""
    root = tmp_path_factory.mktemp("dags-test")
    template = root / "home"
    template.mkdir()
    migrate = subprocess.run(
        [str(AIRFLOW), "db", "migrate"], env=base_environment(template), capture_output=True, text=True, timeout=300
    )
    assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]
    scenario = Scenario(root / "sandbox", time_scale=TIME_SCALE, api_port=0)
    scenario.prepare()
    uri = warehouse(root / "warehouse.db")
    scenario.start_clock()

    def run(dag_id: str) -> tuple[int, str]:
        home = root / f"home-{dag_id}"
        shutil.copytree(template, home)
        env = {**base_environment(home), **scenario.environment(), "AIRFLOW_CONN_WAREHOUSE": uri}
        done = subprocess.run(
            [str(AIRFLOW), "dags", "test", dag_id], env=env, capture_output=True, text=True, timeout=300
        )
        return done.returncode, done.stdout + done.stderr

    try:
        with ThreadPoolExecutor(AT_ONCE) as pool:
            yield dict(zip(EXAMPLES, pool.map(run, EXAMPLES), strict=True))
    finally:
        scenario.stop()


def test_every_example_dag_is_covered() -> None:
    assert len(EXAMPLES) == 10, EXAMPLES


@pytest.mark.parametrize("dag_id", EXAMPLES)
def test_airflow_dags_test_ends_in_a_successful_run(dag_id: str, dags_test_results: dict[str, tuple[int, str]]) -> None:
    code, output = dags_test_results[dag_id]
    assert code == 0, output[-5000:]
    assert re.search(rf"Marking run <DagRun {dag_id} @[^\n]*> successful", output), output[-5000:]
