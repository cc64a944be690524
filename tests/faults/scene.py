"""The stage for fault tests: a sensor's real trigger loop on a fake clock, faults injected between checks.

A :class:`Scene` is the loop's clock, sleep and logger. Its wall clock can jump apart from its
monotonic clock (as NTP or an operator can make it); ``at(n, action)`` runs ``action`` after
the loop's n-th sleep, between two checks, so a fault (or its repair) lands at a known point of
the wait; ``loud()`` lists the WARNING+ lines the wait logged.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from sensors.base import DeferrableSensor
from tests.support.fake_time import FakeTime, racing
from tests.triggers.files.unprivileged import as_nobody
from triggers.adaptive import AdaptiveIntervalTrigger, LiveOverride
from triggers.report import Report

Action = Callable[[], Any | Awaitable[Any]]


class Scene:
    """Clock, sleep and log of one wait; see the module docstring."""

    def __init__(self, *, pause: float = 0.0) -> None:
        self.time = FakeTime(start=time.time())  # real epoch: file mtimes and the clock agree
        self.jump = 0.0
        self.pause = pause  # real seconds per sleep, for rules that read the real clock (stable_for)
        self.actions: dict[int, list[Action]] = {}
        self.records: list[logging.LogRecord] = []
        self.log = logging.getLogger(f"tests.faults.{id(self)}")
        self.log.propagate = False
        self.log.setLevel(logging.DEBUG)
        self.log.addHandler(_Keep(self.records))

    def clock(self) -> float:
        return self.time.now + self.jump

    def monotonic(self) -> float:
        return self.time.now

    def at(self, sleep: int, action: Action) -> None:
        """Run ``action`` once the loop has slept ``sleep`` times (before the next check)."""
        self.actions.setdefault(sleep, []).append(action)

    def jump_wall_clock(self, seconds: float) -> Action:
        """Return an action moving the wall clock (not the monotonic one) by ``seconds``."""

        def jump() -> None:
            self.jump += seconds

        return jump

    async def sleep(self, seconds: float) -> None:
        await self.time.sleep(seconds)
        if self.pause:
            await asyncio.sleep(self.pause)
        for action in self.actions.pop(len(self.time.sleeps), []):
            result = action()
            if inspect.isawaitable(result):
                await result

    @property
    def checks(self) -> int:
        return len(self.time.sleeps)

    def loud(self) -> list[str]:
        """Return the WARNING+ lines logged so far."""
        return [r.getMessage() for r in self.records if r.levelno >= logging.WARNING]


class _Keep(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(logging.DEBUG)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def wait(sensor: DeferrableSensor, scene: Scene) -> Report:
    """Run the wait ``sensor.execute()`` would defer to, as the triggerer runs it, on ``scene``.

    The trigger is built as ``execute()`` builds it and rebuilt from its serialised kwargs (what
    the triggerer does), then its own loop runs with the scene's clock, sleep and log.
    """
    check = sensor.build_check()
    deferred = sensor.trigger_class(
        check=check.to_dict(),
        cadence=sensor.build_cadence().to_dict(),
        deadline=scene.clock() + float(sensor.timeout),
        attempt_timeout=sensor.attempt_timeout,
        failure_threshold=sensor.failure_threshold,
        recovery_timeout=sensor.recovery_timeout,
        max_records=sensor.max_attempt_records,
        **sensor.trigger_kwargs({}),
    )
    _, kwargs = deferred.serialize()
    trigger = type(deferred)(**json.loads(json.dumps(kwargs)))
    loop = replace(
        trigger.make_loop(),
        clock=scene.clock,
        monotonic=scene.monotonic,
        pause=racing(scene.sleep),
        log=scene.log,
        rng=random.Random(0),
    )
    if isinstance(trigger, AdaptiveIntervalTrigger):
        return await trigger.wait_with(loop, LiveOverride(None, scene.log))
    return await loop.run()


def wait_as_nobody(sensor: DeferrableSensor, scene: Scene) -> tuple[Report, list[str]]:
    """Run :func:`wait` in a forked child that dropped to ``nobody``; return its report and loud lines.

    Root ignores permission bits, so this is how "permission denied" is produced for real; a
    non-root run needs no child (the files are chmod-ed to 000 instead).
    """

    def run() -> dict[str, Any]:
        report = asyncio.run(wait(sensor, scene))
        return {"report": report.to_event(), "loud": scene.loud()}

    answer = as_nobody(run) if os.geteuid() == 0 else run()  # not root: the chmod alone denies
    assert "crashed" not in answer, answer
    return Report.from_event(answer["report"]), answer["loud"]
