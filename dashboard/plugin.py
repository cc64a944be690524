"""The Airflow plugin: the dashboard's app for the api-server and a "Sensors" entry in the UI's nav.

Registered through the distribution's ``airflow.plugins`` entry point (pyproject.toml), so an
installed package is enough: nothing to copy into a plugins folder. The UI shows the page in an
iframe at ``/plugin/sensors``; the page's links to task instances open in the whole window.

Every Airflow process loads plugins (scheduler, triggerer, task runners), but only the api-server
asks for ``fastapi_apps``: the app, and the api-server modules it imports, are built on that first
use, not when this module is imported.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from airflow.plugins_manager import AirflowPlugin

URL_PREFIX = "/sensor-dashboard"


class SensorDashboardPlugin(AirflowPlugin):
    """Adds the Sensors view (what every deferred sensor does now, and how every wait went)."""

    name = "deferrable_sensors_dashboard"
    external_views = [
        {
            "name": "Sensors",
            "href": f"{URL_PREFIX}/",
            "url_route": "sensors",
            "destination": "nav",
            "category": "browse",
        }
    ]

    @cached_property
    def fastapi_apps(self) -> list[dict[str, Any]]:  # type: ignore[override]  # a list attribute upstream
        """Return the dashboard's app, built on first use (only the api-server asks)."""
        from dashboard.app import create_app

        return [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "Sensor dashboard"}]
