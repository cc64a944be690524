"""Run a file check as a user who may not read a directory, even when the tests run as root.

Root ignores permission bits, so "permission denied" is produced for real in a forked child
that drops to ``nobody`` before looking; a non-root run just locks the directory with chmod.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from triggers.checks import Check, check_once

NOBODY = 65534


def locked_dir(path: Path) -> Path:
    """Create ``path`` so that the unprivileged side cannot list or search it."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "inside.csv").write_text("a,b\n")
    path.chmod(0o700 if os.geteuid() == 0 else 0o000)  # root owns it: nobody is locked out
    return path


def outcome_without_permission(check: Check) -> dict[str, str | None]:
    """Return ``{"kind", "reason"}`` of one check run by a user without access to locked dirs."""

    def look() -> dict[str, str | None]:
        outcome = asyncio.run(check_once(check, timeout=5))
        return {"kind": outcome.kind, "reason": getattr(outcome, "reason", None)}

    if os.geteuid() != 0:
        return look()
    answer = as_nobody(look)
    return answer if "crashed" not in answer else {"kind": "crashed", "reason": answer["crashed"]}


def as_nobody(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Return what ``work`` returns (JSON), run in a forked child that dropped to ``nobody`` first.

    An exception in the child comes back as ``{"crashed": repr(error)}``.
    """
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.close(read_end)
        try:
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            answer = work()
        except BaseException as error:
            answer = {"crashed": repr(error)}
        os.write(write_end, json.dumps(answer, default=str).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        raw = pipe.read()
    os.waitpid(child, 0)
    answer: dict[str, Any] = json.loads(raw)
    return answer
