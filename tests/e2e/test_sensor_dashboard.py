"""End to end: the Sensors view in the Airflow UI, in headless Chromium, on a stack with real logins.

The stack here runs SimpleAuthManager with a user and a password (not the all-admins mode of the
shared stack, where every request is an admin and auth would prove nothing): the browser logs in
through Airflow's login page, as a person would, then opens the Sensors entry of the UI.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack import AirflowStack
from tests.e2e.browser import chromium
from tests.e2e.conftest import DAGS_FOLDER, REPO_ROOT
from tests.support.http_server import LoopbackServer, Reply

DAG_ID = "dashboard_waits"
USER = "sensor_admin"
SCREENSHOT = REPO_ROOT / "docs" / "sensor-dashboard.png"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowStack]:
    """A stack whose only user is ``sensor_admin`` with a random password; its client holds a token."""
    home = tmp_path_factory.mktemp("dashboard-stack")
    password = secrets.token_urlsafe(12)
    (home / "passwords.json").write_text(json.dumps({USER: password}))
    env = {
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
    }
    with AirflowStack(DAGS_FOLDER, home=home, env=env, pythonpath=[REPO_ROOT]) as running:
        token = httpx.post(f"{running.base_url}/auth/token", json={"username": USER, "password": password}).json()
        running.http.headers["Authorization"] = f"Bearer {token['access_token']}"
        running.password = password  # type: ignore[attr-defined]  # for the browser's login
        yield running


def log_in(driver: Any, stack: AirflowStack, then: str) -> None:
    """Open ``then``; on Airflow's login page type the user and password, as a person would."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{stack.base_url}{then}")
    wait = WebDriverWait(driver, 60)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "input[type=password]")))
    driver.find_element(By.CSS_SELECTOR, "input[name=username]").send_keys(USER)
    driver.find_element(By.CSS_SELECTOR, "input[type=password]").send_keys(stack.password)  # type: ignore[attr-defined]
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(lambda d: "/auth/login" not in d.current_url)


def open_sensors_view(driver: Any, stack: AirflowStack) -> None:
    """Open the UI's Sensors entry (the plugin's page in an iframe) and switch into the frame."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.switch_to.default_content()
    driver.get(f"{stack.base_url}/plugin/sensors")
    wait = WebDriverWait(driver, 60)
    wait.until(ec.frame_to_be_available_and_switch_to_it((By.CSS_SELECTOR, "iframe[src*='sensor-dashboard']")))
    wait.until(ec.presence_of_element_located((By.ID, "history-count")))


def wait_for_progress(stack: AirflowStack, ti_id: str, predicate: Any, timeout: float = 90) -> dict[str, Any]:
    """Return the wait's progress Variable once ``predicate`` holds for it."""
    deadline = time.monotonic() + timeout
    while True:
        raw = stack.get_variable(f"deferrable_sensors.now.{ti_id}")
        if raw is not None and predicate(json.loads(raw)):
            return dict(json.loads(raw))
        assert time.monotonic() < deadline, f"progress of {ti_id}: {raw}"
        time.sleep(1)


def test_the_sensors_view_shows_waits_now_and_after_in_a_browser(stack: AirflowStack, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    shots = tmp_path / "screenshots"
    shots.mkdir()
    # Airflow's own auth guards the plugin: no credential, no data; a browser is sent to the login.
    plain = httpx.get(f"{stack.base_url}/sensor-dashboard/api/history")
    assert plain.status_code == 401, plain.text
    page = httpx.get(f"{stack.base_url}/sensor-dashboard/", follow_redirects=False)
    assert (page.status_code, page.headers["location"].split("?")[0]) == (307, "/auth/login")

    healthy = False
    with LoopbackServer() as api:
        api.script("/health", lambda request: Reply(200, json={"ok": True}) if healthy else Reply(503))
        stack.create_connection("http_dashboard_api", "http", host="127.0.0.1", port=api.port)
        stack.wait_for_dag(DAG_ID)
        drop = tmp_path / "drop"
        (drop / "incoming").mkdir(parents=True)
        os.chmod(tmp_path, 0o755)
        run_id = stack.trigger_dag(DAG_ID, conf={"dir": str(drop)})
        for task in ("wait_api", "wait_file"):
            assert stack.wait_for_task_state(DAG_ID, run_id, task, "deferred", timeout=120) == "deferred"
        api_ti = stack.task_instance(DAG_ID, run_id, "wait_api")
        assert api_ti is not None
        progress = wait_for_progress(stack, api_ti["id"], lambda p: p["breaker"] == "open")

        with chromium() as driver:
            log_in(driver, stack, "/plugin/sensors")
            open_sensors_view(driver, stack)
            live = {
                row.find_elements(By.TAG_NAME, "td")[1].text: [td.text for td in row.find_elements(By.TAG_NAME, "td")]
                for row in driver.find_elements(By.CSS_SELECTOR, "#now tr.live-row")
            }
            assert set(live) >= {"wait_api", "wait_file"}, driver.find_element(By.TAG_NAME, "body").text[:3000]
            api_row = live["wait_api"]
            assert (api_row[0], api_row[2], api_row[3]) == (DAG_ID, run_id, "APIHealthSensor")
            assert (api_row[8], api_row[10]) == (progress["error"], "open"), api_row
            assert int(api_row[6]) >= progress["attempts"] >= 2
            driver.switch_to.default_content()
            driver.save_screenshot(str(shots / "now.png"))

            (drop / "incoming" / "orders_1.csv").write_text("id,total\n1,9.99\n")
            healthy = True
            assert stack.wait_for_run(DAG_ID, run_id, timeout=180) == "success"
            assert stack.get_variable(f"deferrable_sensors.now.{api_ti['id']}") is None  # deleted at the end

            open_sensors_view(driver, stack)
            for task in ("wait_api", "wait_file"):
                report = stack.xcom(DAG_ID, run_id, task, key="sensor_report")
                row = driver.find_element(By.CSS_SELECTOR, f'tr.history-row[data-task="{task}"][data-run="{run_id}"]')
                assert row.find_element(By.CSS_SELECTOR, "td.attempts").text == str(report["attempts"])
                waited = report["finished_at"] - report["started_at"]
                assert row.find_element(By.CSS_SELECTOR, "td.waited").text == f"{waited:.1f}"
                assert row.find_element(By.CSS_SELECTOR, "td.outcome-met").text == "met"
                link = row.find_element(By.CSS_SELECTOR, "a.ti-link").get_attribute("href")
                assert link.endswith(
                    f"/dags/{DAG_ID}/runs/{run_id}/tasks/{task}".replace(":", "%3A").replace("+", "%2B")
                )
                lane = driver.find_element(
                    By.CSS_SELECTOR, f'svg.timeline g.lane[data-task="{task}"][data-run="{run_id}"]'
                )
                assert lane.get_attribute("data-attempts") == str(len(report["history"]))
                assert len(lane.find_elements(By.CSS_SELECTOR, "circle.attempt")) == len(report["history"])
                assert lane.find_elements(By.CSS_SELECTOR, "circle.outcome-met")
            # The chart plots what the rule learns from: the history Variable's attempts, oldest first.
            stored = json.loads(stack.get_variable(f"adaptive_file_sensor.{DAG_ID}.wait_file") or "{}")
            intervals = [a["interval"] for a in stored["attempts"] if a["interval"] is not None]
            rate = sum(a["outcome"] == "met" for a in stored["attempts"]) / len(stored["attempts"])
            chart = driver.find_element(By.CSS_SELECTOR, f'svg.interval[aria-label^="{DAG_ID}.wait_file"]')
            assert chart.get_attribute("data-points") == str(len(intervals))
            assert float(chart.get_attribute("data-last") or 0) == pytest.approx(intervals[-1])
            assert f"success rate {rate:.0%}" in (chart.get_attribute("aria-label") or "")
            assert (chart.size["height"] > 100, chart.size["width"] > 500) == (True, True)  # laid out, not just present
            count = driver.find_element(By.ID, "history-count").text
            assert re.fullmatch(r"\((\d+) finished waits\)", count), count
            driver.switch_to.default_content()
            driver.save_screenshot(str(shots / "history.png"))
            if os.environ.get("DASHBOARD_SCREENSHOT") == "1":  # refresh the README's picture on request
                SCREENSHOT.write_bytes((shots / "now.png").read_bytes())  # waits now and earlier ones
