"""The example DAGs need only what the installed distribution provides: a user can copy one anywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

DAGS = Path(__file__).resolve().parents[2] / "dags"

# Runs in a fresh interpreter whose sys.path holds the standard library, site-packages (where the
# distribution is installed) and the DAGs folder (as the dag-processor puts it): no repo root.
PROBE = """
import importlib.util, json, sys
try:
    from airflow.dag_processing.dagbag import DagBag
except ImportError:  # Airflow 3.1
    from airflow.models.dagbag import DagBag
repo_only = [m for m in ("sandbox", "devstack", "tests") if importlib.util.find_spec(m) is not None]
bag = DagBag(dag_folder=sys.argv[1])
print(json.dumps({"repo_only": repo_only, "errors": {k: str(v)[-300:] for k, v in bag.import_errors.items()},
                  "dag_ids": sorted(bag.dag_ids), "files": sorted({d.fileloc for d in bag.dags.values()})}))
"""


def test_every_dag_file_imports_with_only_the_installed_packages(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PYTHONPATH=str(DAGS), AIRFLOW_HOME=str(tmp_path), AIRFLOW__CORE__LOAD_EXAMPLES="False")
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(DAGS)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["repo_only"] == [], "the probe must not see the repository's own folders"
    assert found["errors"] == {}
    dag_files = {str(p) for p in DAGS.glob("*.py")} - {str(DAGS / "example_settings.py")}
    assert set(found["files"]) == dag_files
    assert len(found["dag_ids"]) == len(dag_files)
