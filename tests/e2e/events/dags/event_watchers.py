"""E2E DAGs for the event watchers (tests/e2e/events): each scheduled on an asset with an AssetWatcher.

Paths and the API's URL come from the stack's environment (set by the test's conftest), so they
are fixed when the DAG is parsed.
"""

from __future__ import annotations

import os
from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Asset, AssetWatcher

from triggers.events import FileEventTrigger, HealthEventTrigger
from triggers.files import FileCheck
from triggers.http import HttpCheck

BASE = os.environ.get("EVENTS_E2E_DIR", "/tmp/events-e2e")
API = os.environ.get("EVENTS_E2E_API", "http://127.0.0.1:9/health")

files = Asset(
    "events_e2e_files",
    watchers=[AssetWatcher(name="events_e2e_files", trigger=FileEventTrigger(check=FileCheck(f"{BASE}/in/*.csv")))],
)
health = Asset(
    "events_e2e_health",
    watchers=[
        AssetWatcher(
            name="events_e2e_health",
            trigger=HealthEventTrigger(
                check=HttpCheck(API, request_timeout=3, connect_timeout=2), interval=2, confirmations=2
            ),
        )
    ],
)

for asset in (files, health):
    with DAG(dag_id=asset.name, schedule=[asset], start_date=datetime(2026, 1, 1), catchup=False):
        EmptyOperator(task_id="consume")
