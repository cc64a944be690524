import asyncio
import logging
import random
import time
from dataclasses import replace

import pytest

from tests.support.checks import NeverCheck, script
from tests.support.fake_time import FakeTime
from tests.support.variables import Variables
from triggers.adaptive.learned import Learned
from triggers.adaptive.override import LiveOverride
from triggers.adaptive.rule import Adaptive
from triggers.adaptive.trigger import AdaptiveIntervalTrigger
from triggers.files import FileCheck
from triggers.history import Attempt
from triggers.outcomes import Met, NotYet
from triggers.report import Report

LOG = logging.getLogger("tests.adaptive_trigger")
RULE = Adaptive(initial_interval=100, min_interval=10, max_interval=300, history_size=10)


class TimedVariables(Variables):
    """An operator who sets the override Variable at a given moment of the fake clock."""

    def __init__(self, clock: FakeTime, changes: dict[float, str | None]) -> None:
        super().__init__()
        self.clock = clock
        self.changes = sorted(changes.items())

    async def read(self, key: str) -> str | None:
        current = None
        for at, value in self.changes:
            if self.clock.now >= at:
                current = value
        return current


async def wait(trigger: AdaptiveIntervalTrigger, clock: FakeTime, variables: Variables | None = None) -> Report:
    loop = replace(
        trigger.make_loop(), clock=clock.clock, monotonic=clock.monotonic, pause=clock.pause, rng=random.Random(0)
    )
    live = LiveOverride(trigger.override_variable, LOG, (variables or Variables()).read)
    return await trigger.wait_with(loop, live)


def trigger(name: str, *steps, **kwargs) -> AdaptiveIntervalTrigger:
    check = script(name, *steps) if steps else NeverCheck()
    kwargs.setdefault("cadence", RULE.to_dict())
    kwargs.setdefault("max_records", 10)
    return AdaptiveIntervalTrigger(check=check.to_dict(), **kwargs)


async def test_it_starts_from_the_interval_an_earlier_run_learned() -> None:
    clock = FakeTime()
    earlier = [Attempt(at=clock.now - 500 + i, duration=0.0, outcome="not_yet", interval=50) for i in range(3)]
    earlier.append(Attempt(at=clock.now - 400, duration=0.0, outcome="met"))
    report = await wait(
        trigger(
            "second-run", NotYet("no file"), NotYet("no file"), Met("found"), history=[a.to_dict() for a in earlier]
        ),
        clock,
    )
    # 1/5 met: 50 * 0.7; then 1/6: 35 * 0.7
    assert clock.sleeps == pytest.approx([35, 24.5])
    assert report.history[: len(earlier)] == tuple(earlier)


async def test_an_override_set_while_waiting_takes_effect_within_one_interval_and_is_logged(caplog) -> None:
    clock = FakeTime()
    start = clock.now
    variables = TimedVariables(clock, {start + 150: "5"})
    caplog.set_level(logging.INFO, logger=LOG.name)
    await wait(trigger("urgent", *[NotYet("no file")] * 5, Met("found"), override_variable="urgent"), clock, variables)
    # 70, 49, 34.3: the override was set at +150, during the third delay; read when it ended (+153.3)
    assert clock.sleeps == pytest.approx([70, 49, 34.3, 5, 5])
    messages = [r.getMessage() for r in caplog.records if "override" in r.getMessage()]
    assert messages == ["Interval override from Variable 'urgent': checking every 5s from now on"]


async def test_an_override_set_before_the_wait_applies_from_the_first_delay() -> None:
    clock = FakeTime()
    variables = TimedVariables(clock, {0: "7"})
    await wait(
        trigger("urgent-early", NotYet("no"), NotYet("no"), Met("found"), override_variable="k"), clock, variables
    )
    assert clock.sleeps == [7, 7]


async def test_removing_the_override_resumes_the_rule_from_the_override_clamped() -> None:
    clock = FakeTime()
    variables = TimedVariables(clock, {0: "5", clock.now + 9: None})
    await wait(trigger("resume", *[NotYet("no")] * 4, Met("found"), override_variable="k"), clock, variables)
    # 5, 5 (removed at +9, seen at +10), then the rule from 5 clamped to 10, shrinking: floored at 10
    assert clock.sleeps == [5, 5, 10, 10]


@pytest.mark.parametrize(
    ("variable", "expected"),
    [pytest.param(None, [20, 20], id="the-argument"), pytest.param("3", [3, 3], id="the-variable-wins")],
)
async def test_the_interval_override_argument_fixes_the_delay_unless_the_variable_is_set(variable, expected) -> None:
    clock = FakeTime()
    variables = TimedVariables(clock, {} if variable is None else {0: variable})
    steps = (NotYet("no"), NotYet("no"), Met("found"))
    await wait(trigger(f"fixed-{variable}", *steps, interval_override=20, override_variable="k"), clock, variables)
    assert clock.sleeps == expected


async def test_the_report_carries_the_bounded_history_and_the_performance() -> None:
    clock = FakeTime()
    earlier = [Attempt(at=clock.now - 100 + i, duration=0.0, outcome="met") for i in range(8)]
    steps = (NotYet("no"), NotYet("no"), NotYet("no"), Met({"path": "/in/a.csv"}))
    wait_started = clock.now - 30
    report = await wait(
        trigger("metrics", *steps, history=[a.to_dict() for a in earlier], wait_started=wait_started), clock
    )
    assert len(report.history) == 10  # max_records: 2 earlier attempts were dropped
    assert [a.outcome for a in report.history[-4:]] == ["not_yet", "not_yet", "not_yet", "met"]
    performance = report.detail["performance"]
    # 8/9 met: grows 100 -> 150; 8/10 stays; 7/10 stays
    assert clock.sleeps == pytest.approx([150, 150, 150])
    assert performance == {
        "attempts": 4,
        "success_rate": 0.7,
        "mean_check_duration": 0.0,
        "max_check_duration": 0.0,
        "current_interval": 150.0,
        "time_to_detection": 480.0,
    }


async def test_a_learned_cadence_reports_its_window() -> None:
    clock = FakeTime()
    cadence = Learned(initial_interval=60, min_interval=10, max_interval=300, anchor=clock.now, arrivals=(10, 20, 30))
    report = await wait(trigger("window", NotYet("no"), Met("found"), cadence=cadence.to_dict()), clock)
    assert report.detail["arrival_window"] == pytest.approx({"start": 12.0, "end": 28.0})


async def test_a_rerun_after_failover_decides_the_same_way() -> None:
    settings = {"history": [Attempt(at=1.0, duration=0.0, outcome="not_yet", interval=40).to_dict()]}
    runs = []
    for _ in range(2):
        clock = FakeTime()
        await wait(trigger("failover", NotYet("no"), NotYet("no"), Met("found"), **settings), clock)
        runs.append(clock.sleeps)
    assert runs[0] == runs[1] == pytest.approx([28, 19.6])


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        pytest.param({"interval_override": 0}, "interval_override", id="zero-override"),
        pytest.param({"override_variable": ""}, "override_variable", id="empty-variable-key"),
        pytest.param({"wait_started": -1}, "wait_started", id="negative-start"),
    ],
)
def test_invalid_arguments_name_the_argument(kwargs, argument) -> None:
    problem = trigger("invalid", **kwargs).problem
    assert problem is not None
    assert f"argument {argument!r}: {argument}:" in problem


def test_it_serialises_its_own_arguments() -> None:
    classpath, kwargs = trigger("ser", interval_override=5, override_variable="k", wait_started=1.5).serialize()
    assert classpath == "triggers.adaptive.trigger.AdaptiveIntervalTrigger"
    assert (kwargs["interval_override"], kwargs["override_variable"], kwargs["wait_started"]) == (5, "k", 1.5)


async def test_a_file_landing_wakes_the_wait_long_before_the_adaptive_interval(tmp_path) -> None:
    # The hybrid: the shared inotify watcher wakes the wait; the 60 s interval is only the fallback.
    check = FileCheck(f"{tmp_path}/in/*.csv")
    waiting = AdaptiveIntervalTrigger(check=check.to_dict(), cadence=Adaptive(60, 30, 300).to_dict())

    async def land() -> None:
        await asyncio.sleep(0.3)
        (tmp_path / "in").mkdir()
        (tmp_path / "in" / "orders.csv").write_text("id\n1\n")

    lander = asyncio.ensure_future(land())
    event = await asyncio.wait_for(anext(aiter(waiting.run())), timeout=20)
    await lander
    report = Report.from_event(event.payload)
    assert report.outcome == "met"
    assert report.history[0].interval == 42  # the rule's delay, cut short by the event


async def _tasks_while_waiting(trigger) -> int:
    """Return how many tasks the loop has while ``trigger`` pauses between checks."""
    waiting = asyncio.ensure_future(trigger.run().__anext__())
    await asyncio.sleep(0.5)  # the first check is done; it pauses for its 10 s interval
    count = len(asyncio.all_tasks())
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    return count


async def test_an_adaptive_pause_costs_no_more_tasks_than_a_file_triggers(tmp_path) -> None:
    """Its wrapped pause once took the poll loop's test-only branch: two helper tasks per pause."""
    from triggers.cadence import Fixed
    from triggers.files import FileWatchTrigger

    (tmp_path / "in").mkdir()
    # the plain trigger's own poll loop: a shared directory listing adds a task per directory
    check = FileCheck(f"{tmp_path}/in/*.csv", share_probe=False).to_dict()
    common = {"check": check, "deadline": time.time() + 30, "settle": 0}
    plain = await _tasks_while_waiting(FileWatchTrigger(cadence=Fixed(10).to_dict(), **common))
    adaptive = AdaptiveIntervalTrigger(
        cadence=Adaptive(initial_interval=10, min_interval=10, max_interval=10, history_size=5).to_dict(),
        override_variable=None,
        **common,
    )
    assert await _tasks_while_waiting(adaptive) == plain
