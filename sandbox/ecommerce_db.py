"""The seed's mock e-commerce database, as reusable functions.

``setup_ecommerce_database`` in the seed writes ``orders.json`` and starts a daemon thread that
ships order 1 thirty seconds later. Here the two halves are separate, so the caller chooses
where the delay runs (a thread, an asyncio task, another process) and how long it is::

    write_orders("/tmp/mock-ecommerce-db")                          # the initial file
    ship_order_later("/tmp/mock-ecommerce-db", delay=30)            # blocking: for a thread
    await ship_order_after("/tmp/mock-ecommerce-db", delay=30)      # for asyncio

``setup_ecommerce_database()`` keeps the seed's one-call form (and its daemon thread, if asked).
Writes rewrite the file in place like the seed's updater (``open(path, "w")``), so a reader can
catch a half-written file: that is part of what the sensor has to survive.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

DEFAULT_DB_PATH = "/tmp/mock-ecommerce-db"
ORDERS_FILE = "orders.json"
SEED_SHIP_DELAY = 30.0

#: The seed's initial orders.
SEED_ORDERS: list[dict[str, Any]] = [
    {"id": 1, "customer_id": 101, "status": "pending", "total": 299.99, "created_at": "2024-01-01T10:00:00Z"},
    {"id": 2, "customer_id": 102, "status": "processing", "total": 149.50, "created_at": "2024-01-01T10:15:00Z"},
    {"id": 3, "customer_id": 103, "status": "confirmed", "total": 89.99, "created_at": "2024-01-01T10:30:00Z"},
]


def orders_path(db_path: str | os.PathLike[str] = DEFAULT_DB_PATH) -> Path:
    """Return the orders file of the database at ``db_path``."""
    return Path(db_path) / ORDERS_FILE


def write_orders(db_path: str | os.PathLike[str] = DEFAULT_DB_PATH, orders: list[dict[str, Any]] | None = None) -> Path:
    """Create ``db_path`` if needed and write ``orders`` (the seed's three by default) as a bare list.

    Returns the file written.
    """
    path = orders_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        json.dump(copy.deepcopy(SEED_ORDERS) if orders is None else orders, handle, indent=2)
    return path


def set_status(
    db_path: str | os.PathLike[str] = DEFAULT_DB_PATH, order_id: int = 1, status: str = "shipped"
) -> dict[str, Any]:
    """Set one order's status in place, as the seed's updater does; return the updated record.

    Shipping also stamps ``shipped_at``. Raises KeyError when the order is not in the file.
    """
    path = orders_path(db_path)
    with path.open() as handle:
        data = json.load(handle)
    orders = data["orders"] if isinstance(data, dict) else data
    updated: dict[str, Any] | None = None
    for order in orders:
        if order["id"] == order_id:
            order["status"] = status
            if status == "shipped":
                order["shipped_at"] = datetime.now().isoformat()
            updated = order
    if updated is None:
        raise KeyError(f"order {order_id} is not in {path}")
    with path.open("w") as handle:
        json.dump(data, handle, indent=2)
    return updated


def ship_order_later(
    db_path: str | os.PathLike[str] = DEFAULT_DB_PATH, delay: float = SEED_SHIP_DELAY, order_id: int = 1
) -> dict[str, Any]:
    """Sleep ``delay`` seconds, then ship ``order_id``; return its record. Blocks: run it in a thread."""
    time.sleep(delay)
    record = set_status(db_path, order_id, "shipped")
    print(f"Updated order {order_id} status to 'shipped'")
    return record


async def ship_order_after(
    db_path: str | os.PathLike[str] = DEFAULT_DB_PATH, delay: float = SEED_SHIP_DELAY, order_id: int = 1
) -> dict[str, Any]:
    """Wait ``delay`` seconds without blocking the loop, then ship ``order_id``; return its record."""
    await asyncio.sleep(delay)
    return await asyncio.to_thread(set_status, db_path, order_id, "shipped")


def setup_ecommerce_database(
    db_path: str | os.PathLike[str] = DEFAULT_DB_PATH, ship_delay: float | None = SEED_SHIP_DELAY
) -> threading.Thread | None:
    """The seed's setup: write the initial orders, then ship order 1 after ``ship_delay`` seconds.

    The shipping runs in a daemon thread, which is returned (join it to wait for the shipping);
    with ``ship_delay=None`` nothing is started and the caller ships with the functions above.
    A daemon thread dies with its process: from a short-lived task, ship from somewhere that
    outlives it.
    """
    write_orders(db_path)
    thread = None
    if ship_delay is not None:
        thread = threading.Thread(target=ship_order_later, args=(db_path, ship_delay), daemon=True)
        thread.start()
    print("E-commerce database setup completed")
    return thread
