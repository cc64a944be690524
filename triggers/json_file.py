"""Read a JSON file without blocking the loop, telling "not there yet" from "broken".

Writers such as the seed's order updater rewrite files in place, so an empty or half-written file
is a transient "not yet" (TornFileError); the caller judges one that stays unparsable.
"""

from __future__ import annotations

import json
import os
from typing import Any

from triggers.errors import PermanentError, TransientError
from triggers.file_io import in_file_thread

#: Files larger than this are refused (by their size, before any byte is read) rather than read
#: into the triggerer's memory: parsed JSON takes several times its size in Python objects.
MAX_JSON_BYTES = 16 * 1024 * 1024


class MissingFileError(TransientError):
    """The file (or its directory) does not exist yet."""


class TornFileError(TransientError):
    """The file exists but is not valid JSON right now: empty, or caught mid-write."""


class TooLargeError(PermanentError):
    """The file is larger than the reader's cap: it is refused without being read."""


def _read_capped(path: str, max_bytes: int) -> bytes:
    """Return the whole file, or raise TooLargeError when it is over ``max_bytes`` (then nothing is read)."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > max_bytes:
            raise TooLargeError(
                f"{path} is {size:,} bytes, larger than the {max_bytes:,}-byte cap for JSON files (MAX_JSON_BYTES): "
                "refused without reading it"
            )
        raw = handle.read(max_bytes + 1)  # a file growing while read is cut at the cap, never read whole
    if len(raw) > max_bytes:
        raise TooLargeError(f"{path} grew larger than the {max_bytes:,}-byte cap for JSON files while it was read")
    return raw


async def read_json(path: str, *, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """Return the parsed JSON at ``path``.

    Raises MissingFileError or TornFileError (transient; also for JSON Python cannot load, such as
    nesting too deep), PermanentError when the file is not readable or larger than ``max_bytes``.
    """
    try:
        # open + stat + read + close in one hop, on the library's own pool: a dead mount holds its threads only
        raw = await in_file_thread(_read_capped, path, max_bytes)
    except FileNotFoundError as error:
        raise MissingFileError(f"{path} does not exist yet") from error
    except NotADirectoryError as error:
        raise MissingFileError(f"{path}: a parent is not a directory") from error
    except IsADirectoryError as error:
        raise PermanentError(f"{path} is a directory, not a JSON file") from error
    except PermissionError as error:
        raise PermanentError(f"{path} is not readable by this process: {error.strerror}") from error
    if not raw.strip():
        raise TornFileError(f"{path} is empty (being written?)")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TornFileError(f"{path} is not valid JSON yet: {error}") from error
    except (ValueError, RecursionError) as error:  # an int too long to convert, nesting too deep
        raise TornFileError(f"{path} is JSON this reader cannot load: {type(error).__name__}: {error}") from error
