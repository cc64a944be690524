"""Caps on what a wait reports: a value goes into the event, the XCom and the logs.

Ten thousand waits each carrying a megabyte would sit in the triggerer's memory and the metadata
DB, so a value whose JSON is longer than the cap is replaced by a small summary with its start.
"""

from __future__ import annotations

import json
from typing import Any

#: The most JSON characters of one condition's value kept in a gather's per-condition status.
MAX_CONDITION_VALUE_CHARS = 16 * 1024
#: The most JSON characters of the met value a report (the event, the return_value XCom) carries.
MAX_REPORT_VALUE_CHARS = 64 * 1024
#: Characters of an over-cap value's JSON kept as its preview.
PREVIEW_CHARS = 200


def capped(value: Any, limit: int) -> Any:
    """Return ``value`` when its JSON has at most ``limit`` characters, else a summary of it.

    The summary is ``{"truncated": True, "json_chars": n, "limit": limit, "preview": "..."}``.
    """
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str) and len(value) <= limit // 6:  # even fully escaped it fits: skip the dump
        return value
    try:
        text = json.dumps(value, default=str)
    except (TypeError, ValueError):  # not JSON (a report would fail later anyway): keep it for that error
        return value
    if len(text) <= limit:
        return value
    return {"truncated": True, "json_chars": len(text), "limit": limit, "preview": text[:PREVIEW_CHARS]}
