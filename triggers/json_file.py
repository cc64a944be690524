"""Read a JSON file without blocking the loop, telling "not there yet" from "broken".

Writers such as the seed's order updater rewrite files in place, so a reader can see an empty or
half-written file. That is a transient "not yet" (TornFileError); a file that stays unparsable
is for the caller to judge (it counts consecutive TornFileErrors).
"""

from __future__ import annotations

import json
from typing import Any

import aiofiles.os

from triggers.errors import PermanentError, TransientError

#: Files larger than this are refused rather than read into the triggerer's memory.
MAX_JSON_BYTES = 64 * 1024 * 1024


class MissingFileError(TransientError):
    """The file (or its directory) does not exist yet."""


class TornFileError(TransientError):
    """The file exists but is not valid JSON right now: empty, or caught mid-write."""


def _read_head_sync(path: str, size: int) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(size)


# One executor hop for open + read + close: aiofiles.open makes one per call (three here),
# which cost ten times the parse itself on a small file.
_read_head = aiofiles.os.wrap(_read_head_sync)


async def read_json(path: str, *, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """Return the parsed JSON at ``path``.

    Raises MissingFileError or TornFileError (transient; also for JSON Python cannot load, such
    as nesting deeper than its recursion limit), PermanentError when the file is not
    readable by this process or larger than ``max_bytes``.
    """
    try:
        raw = await _read_head(path, max_bytes + 1)
    except FileNotFoundError as error:
        raise MissingFileError(f"{path} does not exist yet") from error
    except NotADirectoryError as error:
        raise MissingFileError(f"{path}: a parent is not a directory") from error
    except IsADirectoryError as error:
        raise PermanentError(f"{path} is a directory, not a JSON file") from error
    except PermissionError as error:
        raise PermanentError(f"{path} is not readable by this process: {error.strerror}") from error
    if len(raw) > max_bytes:
        raise PermanentError(f"{path} is larger than {max_bytes} bytes")
    if not raw.strip():
        raise TornFileError(f"{path} is empty (being written?)")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TornFileError(f"{path} is not valid JSON yet: {error}") from error
    except (ValueError, RecursionError) as error:  # an int too long to convert, nesting too deep
        raise TornFileError(f"{path} is JSON this reader cannot load: {type(error).__name__}: {error}") from error
