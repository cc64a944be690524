"""Module-level condition functions for tests: importable by dotted path, as the triggerer needs."""

from __future__ import annotations

import asyncio
import threading

from triggers.errors import PermanentError, TransientError

#: name -> how many times a counting condition ran.
CALLS: dict[str, int] = {}


def ready() -> bool:
    return True


def not_ready() -> bool:
    return False


def catalog_version() -> tuple[bool, int]:
    return True, 101


def old_catalog_version() -> tuple[bool, int]:
    return False, 99


async def async_ready() -> tuple[bool, str]:
    await asyncio.sleep(0)
    return True, "async"


def thread_name() -> tuple[bool, str]:
    return True, threading.current_thread().name


def version_above(minimum: int, version: int) -> tuple[bool, int]:
    return version > minimum, version


def refused() -> bool:
    raise ConnectionRefusedError("connection refused")


def warming_up() -> bool:
    raise TransientError("warming up")


def revoked() -> bool:
    raise PermanentError("credentials revoked")


def buggy() -> bool:
    return {"status": "ready"}["state"] == "ready"


def forgot_to_return() -> None:
    pass


def unserialisable() -> tuple[bool, object]:
    return True, {1, 2}


def counted() -> bool:
    CALLS["counted"] = CALLS.get("counted", 0) + 1
    return True


class Catalog:
    """For the bound-method case."""

    def ready(self) -> bool:
        return True


def huge_value() -> tuple[bool, str]:
    return True, "x" * 1_000_000


#: set to let ``sleeps_until_released`` return (tests set it when done, so no thread is left behind)
RELEASE = threading.Event()


def sleeps_until_released() -> bool:
    """A sync condition that hangs: it returns only when a test sets RELEASE."""
    RELEASE.wait()
    return True


async def awaits_forever() -> bool:
    """An async condition that never returns."""
    await asyncio.Event().wait()
    return True


def counted_not_yet(key: str) -> bool:
    """Count the call under ``key`` and say "not yet"."""
    CALLS[key] = CALLS.get(key, 0) + 1
    return False
