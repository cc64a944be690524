"""The seed's readiness conditions as plain functions, for ``MultiSourceReadinessSensor(conditions=...)``.

They live in an importable module, not in a DAG file: a deferred sensor's triggerer imports each
condition by its dotted path. They read the seed's ``/tmp/ml-data`` unless ``ML_DATA_DIR`` (in
the environment of the processes that run them) says otherwise. The product catalog is best
checked declaratively (an HttpCheck with a field expectation), so it has no function here.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from sandbox.ml_data import SEED_BASE_DIR, MlDataPaths
from triggers.gather import JsonDateCheck
from triggers.outcomes import Outcome

BEHAVIOUR_MAX_AGE = 3600.0


def data_paths() -> MlDataPaths:
    """Return the seed's paths under ``ML_DATA_DIR`` (default ``/tmp/ml-data``)."""
    return MlDataPaths(Path(os.environ.get("ML_DATA_DIR", SEED_BASE_DIR)))


def behaviour_logs_ready() -> tuple[bool, int]:
    """Return (ready, count): files in ``behavior/`` modified within the last hour.

    A sync function, as the seed's authors write them: the sensor runs it in a worker thread.
    """
    cutoff = time.time() - BEHAVIOUR_MAX_AGE
    fresh = 0
    for path in data_paths().behaviour_dir.glob("*"):
        try:
            fresh += path.is_file() and path.stat().st_mtime > cutoff
        except FileNotFoundError:
            continue  # removed between the listing and the stat
    return fresh > 0, fresh


async def inventory_snapshot_today() -> Outcome:
    """Return whether the inventory snapshot is dated today (UTC), through the library's JsonDateCheck.

    An async function runs on the triggerer's loop; a missing or half-written snapshot is "not yet".
    """
    return await JsonDateCheck(str(data_paths().snapshot)).check()
