"""The Airflow plugin: the dashboard's app for the api-server and a "Sensors" entry in the UI's nav.

Registered through the distribution's ``airflow.plugins`` entry point (pyproject.toml), so an
installed package is enough: nothing to copy into a plugins folder. The UI shows the page in an
iframe at ``/plugin/sensors``; the page's links to task instances open in the whole window.
"""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin

from dashboard.app import URL_PREFIX


def _fastapi_apps() -> list[dict[str, Any]]:
    from dashboard.app import create_app

    return [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "Sensor dashboard"}]


class SensorDashboardPlugin(AirflowPlugin):
    """Adds the Sensors view (what every deferred sensor does now, and how every wait went)."""

    name = "deferrable_sensors_dashboard"
    fastapi_apps = _fastapi_apps()
    external_views = [
        {
            "name": "Sensors",
            "href": f"{URL_PREFIX}/",
            "url_route": "sensors",
            "destination": "nav",
            "category": "browse",
        }
    ]
