"""No sync ``mask_secret`` inside async code: in a triggerer it talks to the supervisor with a blocking
send (and can deadlock while an ``asend`` is in flight); ``amask_secret`` is the loop's version."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(p for package in ("triggers", "sensors") for p in (ROOT / package).rglob("*.py"))


def sync_mask_calls_in_async_code(source: str) -> list[int]:
    """Return the line of every ``mask_secret(...)`` call inside an ``async def``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call):
                    name = getattr(inner.func, "id", None) or getattr(inner.func, "attr", None)
                    if name == "mask_secret":
                        found.append(inner.lineno)
    return found


def test_the_scanner_finds_a_sync_call_in_async_code() -> None:
    assert sync_mask_calls_in_async_code("async def f(x):\n    log.mask_secret(x)\n") == [2]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_sync_mask_secret_inside_async_code(path: Path) -> None:
    assert sync_mask_calls_in_async_code(path.read_text()) == []
