"""Airflow's asset state store at the boundary: a dict with the accessor's async get/set, and errors on demand."""

from __future__ import annotations

from typing import Any


class AssetStateStoreFake:
    """Stands in for ``trigger.asset_state_store`` (one watched asset): ``aget``/``aset`` on a dict."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.error: Exception | None = None
        self.writes = 0

    async def aget(self, key: str, default: Any = None) -> Any:
        if self.error is not None:
            raise self.error
        return self.values.get(key, default)

    async def aset(self, key: str, value: Any) -> None:
        if self.error is not None:
            raise self.error
        self.writes += 1
        self.values[key] = value
