"""The seed's ML data sources (``setup_ml_data_sources``), with their place and timing configurable.

User behaviour logs land in ``<base>/behavior/`` after ``behaviour_delay`` seconds (the seed:
20) and the inventory snapshot, dated today, at ``<base>/inventory/snapshot.json`` after
``inventory_delay`` seconds (the seed: 40). The product catalog is the HTTP API of
:mod:`sandbox.api_server` (``/api/catalog``, its version rising past 100). Use it from threads,
as the seed does, or from asyncio::

    timers = setup_ml_data_sources(base_dir=tmp, behaviour_delay=2, inventory_delay=4)
    await feed_ml_data_sources(base_dir=tmp, behaviour_delay=2, inventory_delay=4)
    python -m sandbox.ml_data --base-dir /tmp/ml-data --scale 0.1

The snapshot's date is today in ``timezone`` (UTC by default, what JsonDateCheck compares with;
the seed used the machine's local date).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

SEED_BASE_DIR = "/tmp/ml-data"
SEED_BEHAVIOUR_DELAY = 20.0
SEED_INVENTORY_DELAY = 40.0


@dataclass(frozen=True)
class MlDataPaths:
    """Where the seed's sources write, under one base directory."""

    base: Path

    @property
    def behaviour_dir(self) -> Path:
        return self.base / "behavior"

    @property
    def catalog_dir(self) -> Path:
        return self.base / "catalog"

    @property
    def inventory_dir(self) -> Path:
        return self.base / "inventory"

    @property
    def snapshot(self) -> Path:
        return self.inventory_dir / "snapshot.json"


def prepare(base_dir: str | Path = SEED_BASE_DIR, *, clear: bool = False) -> MlDataPaths:
    """Create the seed's directories; with ``clear``, remove earlier logs and snapshots first."""
    paths = MlDataPaths(Path(base_dir))
    for directory in (paths.behaviour_dir, paths.catalog_dir, paths.inventory_dir):
        if clear:
            shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True, exist_ok=True)
    return paths


def write_behaviour_log(paths: MlDataPaths) -> Path:
    """Write one behaviour log, named by the current time as in the seed; return its path."""
    stamp = datetime.datetime.now().strftime("%Y%m%d_%H%M%S_%f")
    path = paths.behaviour_dir / f"user_behavior_{stamp}.log"
    path.write_text("user_id,action,timestamp\n1,click,2024-01-01T10:00:00Z\n2,purchase,2024-01-01T10:05:00Z")
    print(f"Created behavior logs: {path}", flush=True)
    return path


def write_inventory_snapshot(paths: MlDataPaths, timezone: str = "UTC") -> Path:
    """Write the inventory snapshot dated today in ``timezone``; return its path."""
    today = datetime.datetime.now(ZoneInfo(timezone)).date().isoformat()
    paths.snapshot.write_text(
        json.dumps({"date": today, "products": [{"id": 1, "stock": 100}, {"id": 2, "stock": 50}]})
    )
    print(f"Created inventory snapshot: {paths.snapshot} ({today})", flush=True)
    return paths.snapshot


def setup_ml_data_sources(
    base_dir: str | Path = SEED_BASE_DIR,
    behaviour_delay: float = SEED_BEHAVIOUR_DELAY,
    inventory_delay: float = SEED_INVENTORY_DELAY,
    *,
    timezone: str = "UTC",
    clear: bool = False,
) -> list[threading.Timer]:
    """The seed's call: create the directories, then write each source from a daemon timer thread.

    Returns the started timers (``cancel()`` stops a source that has not written yet).
    """
    paths = prepare(base_dir, clear=clear)
    timers = [
        threading.Timer(behaviour_delay, write_behaviour_log, args=(paths,)),
        threading.Timer(inventory_delay, write_inventory_snapshot, args=(paths, timezone)),
    ]
    for timer in timers:
        timer.daemon = True
        timer.start()
    print("ML data sources setup initiated", flush=True)
    return timers


async def feed_ml_data_sources(
    base_dir: str | Path = SEED_BASE_DIR,
    behaviour_delay: float = SEED_BEHAVIOUR_DELAY,
    inventory_delay: float = SEED_INVENTORY_DELAY,
    *,
    timezone: str = "UTC",
    clear: bool = False,
) -> MlDataPaths:
    """The same from asyncio: return once both sources have written (file writes off the loop)."""
    paths = await asyncio.to_thread(prepare, base_dir, clear=clear)

    async def later(delay: float, write: Callable[..., Path], *args: object) -> None:
        await asyncio.sleep(delay)
        await asyncio.to_thread(write, *args)

    await asyncio.gather(
        later(behaviour_delay, write_behaviour_log, paths),
        later(inventory_delay, write_inventory_snapshot, paths, timezone),
    )
    return paths


def main(argv: list[str] | None = None) -> None:
    """Write the seed's sources at the seed's times (times ``--scale``), then exit."""
    parser = argparse.ArgumentParser(description="The seed's ML data sources.")
    parser.add_argument("--base-dir", default=SEED_BASE_DIR)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the seed's 20 s and 40 s delays")
    parser.add_argument("--clear", action="store_true", help="remove earlier logs and snapshots first")
    args = parser.parse_args(argv)
    asyncio.run(
        feed_ml_data_sources(
            args.base_dir, SEED_BEHAVIOUR_DELAY * args.scale, SEED_INVENTORY_DELAY * args.scale, clear=args.clear
        )
    )


if __name__ == "__main__":
    main()
