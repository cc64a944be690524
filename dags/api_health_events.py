"""Event-driven: each health transition of the pricing API (down, then up) starts one run of this DAG.

An ``AssetWatcher`` runs :class:`~triggers.events.HealthEventTrigger`: two polls in a row must
agree before a transition counts, and a poll that agrees with the last announced health is silent,
so an outage of any length is two runs (one "down", one "up"), never one per poll.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, Asset, AssetWatcher
from example_settings import API_URL, default_args, seconds

from triggers.events import HealthEventTrigger
from triggers.http import HttpCheck

pricing_api_health = Asset(
    "pricing_api_health",
    watchers=[
        AssetWatcher(
            name="pricing_api_health_watcher",
            trigger=HealthEventTrigger(
                check=HttpCheck(f"{API_URL}/api/health", expected_json={"status": "healthy"}),
                interval=seconds(20),
                confirmations=2,
            ),
        )
    ],
)


def react(triggering_asset_events: Any) -> list[str]:
    """Return one line per transition that started this run."""
    return [
        f"pricing API went {event.extra['payload']['transition']} at {event.extra['payload']['at']:.0f}"
        for event in triggering_asset_events[pricing_api_health]
    ]


with DAG(
    dag_id="api_health_events",
    description="One run per health transition of the pricing API, started by an AssetWatcher",
    default_args=default_args,
    schedule=[pricing_api_health],
    catchup=False,
    tags=["example", "http", "events"],
):
    PythonOperator(task_id="react", python_callable=react)
