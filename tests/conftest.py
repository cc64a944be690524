"""Tests of Airflow features the installed release lacks skip themselves (marker ``airflow_min``)."""

from __future__ import annotations

import os

import pytest

from tests.support.airflow_versions import airflow_release

pytest_plugins = ["pytester"]  # tests/test_airflow_versions.py runs the marker on a test file

# Airflow 3.1's DagBag also loads Airflow's own example DAGs unless this says not to (3.3's never does).
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    installed = airflow_release()
    for item in items:
        marker = item.get_closest_marker("airflow_min")
        if marker is None:
            continue
        needed = tuple(int(part) for part in marker.args[0].split("."))
        if installed < needed:
            reason = marker.kwargs.get("reason", "a newer Airflow feature")
            item.add_marker(pytest.mark.skip(reason=f"needs Airflow {marker.args[0]}+: {reason}"))
