"""Airflow Variables at the boundary: what an operator set, and errors the API can raise."""

from __future__ import annotations


class Variables:
    """A dict of Variables, read sync (the worker's store) or async (the trigger's override)."""

    def __init__(self, **values: str) -> None:
        self.values: dict[str, str] = dict(values)
        self.error: Exception | None = None
        self.reads = 0
        self.writes = 0

    def get(self, key: str) -> str | None:
        self.reads += 1
        if self.error is not None:
            raise self.error
        return self.values.get(key)

    def set(self, key: str, value: str) -> None:
        if self.error is not None:
            raise self.error
        self.writes += 1
        self.values[key] = value

    async def read(self, key: str) -> str | None:
        return self.get(key)
