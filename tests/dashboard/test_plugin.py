"""The plugin is found through the distribution's entry point, with its app and its nav entry."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

pytestmark = [
    pytest.mark.airflow_min("3.3", reason="the dashboard is built on Airflow 3.3's UI plugin, auth and metadata APIs"),
    # Airflow's api-server imports (svcs) import starlette's test client, which warns; not ours to fix.
    pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`"),
]


def _plugin() -> type:
    from dashboard.plugin import SensorDashboardPlugin

    return SensorDashboardPlugin


def test_the_distribution_registers_the_plugin_entry_point() -> None:
    (found,) = [e for e in entry_points(group="airflow.plugins") if e.name == "sensor_dashboard"]
    assert found.load() is _plugin()


def test_loading_the_plugin_does_not_build_the_app() -> None:
    # Every Airflow process loads plugins; only the api-server should pay for the FastAPI app.
    plugin = _plugin()()
    assert "fastapi_apps" not in vars(plugin)
    assert plugin.fastapi_apps is plugin.fastapi_apps  # built once, on first use


def test_airflow_mounts_the_app_and_shows_a_sensors_entry() -> None:
    from airflow import plugins_manager

    from dashboard.plugin import URL_PREFIX

    apps, _ = plugins_manager.get_fastapi_plugins()
    assert [a["url_prefix"] for a in apps if a["name"] == "Sensor dashboard"] == [URL_PREFIX]
    views, _ = plugins_manager._get_ui_plugins()  # what the UI's /ui/plugins lists
    assert {"name": "Sensors", "href": f"{URL_PREFIX}/", "url_route": "sensors"}.items() <= views[0].items()
    routes = {getattr(r, "path", "") for r in apps[0]["app"].routes}
    assert {"/", "/api/now", "/api/history"} <= routes
