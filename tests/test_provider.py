"""The package registers as an Airflow provider, so ``airflow providers list`` shows it."""

import json
import os
import subprocess
import sys
from pathlib import Path


def test_airflow_providers_list_shows_the_package(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")} | {"AIRFLOW_HOME": str(tmp_path)}
    listed = subprocess.run(
        [sys.executable, "-m", "airflow", "providers", "list", "--output", "json"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    names = {provider["package_name"] for provider in json.loads(listed.stdout)}
    assert "airflow-deferrable-sensors" in names
