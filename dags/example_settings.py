"""Where the example DAGs find the sandbox (``python -m sandbox``), and the seed's default_args.

Environment variables override the seed's places and timings: ``SANDBOX_DIR`` (default /tmp),
``SANDBOX_API_URL`` (default http://localhost:8081) and ``SANDBOX_TIME_SCALE`` (default 1: the
seed's timings; the demo uses a smaller scale so it finishes in a couple of minutes).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

SANDBOX_DIR = os.environ.get("SANDBOX_DIR", "/tmp")
API_URL = os.environ.get("SANDBOX_API_URL", "http://localhost:8081")
TIME_SCALE = float(os.environ.get("SANDBOX_TIME_SCALE", "1"))

ORDERS_DB = f"{SANDBOX_DIR}/mock-ecommerce-db"
ML_DATA = f"{SANDBOX_DIR}/ml-data"
PARTNER_DROP = f"{SANDBOX_DIR}/partner-drop"


def seconds(seed_seconds: float) -> float:
    """Return a seed timing scaled for this sandbox (never below one second)."""
    return max(1.0, seed_seconds * TIME_SCALE)


default_args: dict[str, Any] = {
    "owner": "data-platform",
    "depends_on_past": False,
    "start_date": datetime(2024, 1, 1),
    "email_on_failure": False,
    "email_on_retry": False,
    "retries": 1,
    "retry_delay": timedelta(minutes=5),
}
