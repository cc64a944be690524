"""Ready-made condition functions for ``MultiSourceReadinessSensor(conditions=...)``: the seed's ML sources.

They ship in the package because the triggerer imports each condition by its dotted path. They
read the seed's layout under ``/tmp/ml-data`` (``behavior/*`` logs, ``inventory/snapshot.json``)
unless ``ML_DATA_DIR``, in the environment of workers and triggerer, says otherwise. The product
catalog is best checked declaratively (an HttpCheck with a field expectation): no function here.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from triggers.json_date import JsonDateCheck
from triggers.outcomes import Outcome

#: Where the seed's ML sources write when ``ML_DATA_DIR`` is unset.
DEFAULT_ML_DATA_DIR = "/tmp/ml-data"
#: A behaviour log counts when it was modified within this many seconds.
BEHAVIOUR_MAX_AGE = 3600.0


def ml_data_dir() -> Path:
    """Return the base directory of the seed's ML sources: ``ML_DATA_DIR``, else ``/tmp/ml-data``."""
    return Path(os.environ.get("ML_DATA_DIR", DEFAULT_ML_DATA_DIR))


def behaviour_logs_ready() -> tuple[bool, int]:
    """Return (ready, count): files in ``behavior/`` modified within the last hour.

    A sync function, as the seed's authors write them: the sensor runs it in a worker thread.
    """
    cutoff = time.time() - BEHAVIOUR_MAX_AGE
    fresh = 0
    for path in (ml_data_dir() / "behavior").glob("*"):
        try:
            fresh += path.is_file() and path.stat().st_mtime > cutoff
        except FileNotFoundError:
            continue  # removed between the listing and the stat
    return fresh > 0, fresh


async def inventory_snapshot_today() -> Outcome:
    """Return whether the inventory snapshot is dated today (UTC), through the library's JsonDateCheck.

    An async function runs on the triggerer's loop; a missing or half-written snapshot is "not yet".
    """
    return await JsonDateCheck(str(ml_data_dir() / "inventory" / "snapshot.json")).check()
