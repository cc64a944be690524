"""A minimal sensor on the base, and the task-instance stand-in its tests pass in the context."""

from __future__ import annotations

from typing import Any

from sensors.base import DeferrableSensor
from tests.support.checks import ScriptedCheck
from triggers.checks import Check


class ScriptedSensor(DeferrableSensor):
    """Waits on ``tests.support.checks.SCRIPTS[name]``."""

    def __init__(self, *, name: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.validate()

    def build_check(self) -> Check:
        return ScriptedCheck(self.name)


class TaskInstanceStub:
    """Records XCom pushes: the only part of the task instance a sensor touches."""

    def __init__(self) -> None:
        self.xcoms: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value


def context() -> dict[str, Any]:
    return {"ti": TaskInstanceStub()}
