"""Airflow's state stores at the boundary: the asset store (async, errors on demand) and the task store."""

from __future__ import annotations

import json
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


class TaskStateStoreFake:
    """Stands in for ``context["task_state_store"]``: sync ``get``/``set`` keeping JSON text, as Airflow does."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return json.loads(self.values[key]) if key in self.values else default

    def set(self, key: str, value: Any) -> None:
        self.values[key] = json.dumps(value)
