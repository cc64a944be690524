"""Event-driven: every complete partner file starts one run of this DAG (no sensor task at all).

An ``AssetWatcher`` runs :class:`~triggers.events.FileEventTrigger` in the triggerer, woken by
inotify; each file that matches and is complete (here: at least one byte, unchanged for five
seconds) becomes one asset event with its path, size and mtime, and the scheduler starts a run
that consumes it.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, Asset, AssetWatcher
from example_settings import PARTNER_DROP, default_args

from triggers.events import FileEventTrigger
from triggers.files import FileCheck

partner_files = Asset(
    "partner_files",
    watchers=[
        AssetWatcher(
            name="partner_files_watcher",
            trigger=FileEventTrigger(check=FileCheck(f"{PARTNER_DROP}/acme/orders_*.csv", min_size=1, stable_for=5)),
        )
    ],
)


def ingest(triggering_asset_events: Any) -> list[str]:
    """Return one line per file whose event started this run."""
    return [
        f"ingesting {event.extra['payload']['path']} ({event.extra['payload']['size']} bytes)"
        for event in triggering_asset_events[partner_files]
    ]


with DAG(
    dag_id="partner_file_events",
    description="One run per complete partner file, started by an AssetWatcher (exactly once per file)",
    default_args=default_args,
    schedule=[partner_files],
    catchup=False,
    tags=["example", "files", "events"],
):
    PythonOperator(task_id="ingest", python_callable=ingest)
