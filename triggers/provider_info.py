"""Provider metadata, so ``airflow providers list`` shows this package."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

DISTRIBUTION = "airflow-deferrable-sensors"


def get_provider_info() -> dict[str, Any]:
    """Return the provider info dict Airflow reads through the ``apache_airflow_provider`` entry point."""
    try:
        installed = version(DISTRIBUTION)
    except PackageNotFoundError:
        installed = "0.0.0"
    return {
        "package-name": DISTRIBUTION,
        "name": "Deferrable Sensors",
        "description": "Sensors that wait on files, databases, HTTP APIs and combinations of them "
        "in the triggerer, without holding a worker slot.",
        "versions": [installed],
    }
