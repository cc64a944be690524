import asyncio
import logging
import threading

from tests.support.checks import script
from tests.support.fake_time import FakeTime
from tests.support.variables import Variables
from triggers.adaptive.store import HistoryStore, SensorHistory
from triggers.adaptive.trigger import Checkpoint
from triggers.cadence import Fixed
from triggers.history import Attempt
from triggers.outcomes import Met, NotYet
from triggers.poll_loop import PollLoop

LOG = logging.getLogger("tests.checkpoint")
KEY = "adaptive_file_sensor.partner.wait"


def stored(variables: Variables) -> SensorHistory:
    return SensorHistory.from_json(variables.values[KEY])


def loop_with(checkpoint: Checkpoint, name: str, clock: FakeTime) -> PollLoop:
    return PollLoop(
        check=script(name, NotYet("no file"), NotYet("no file"), NotYet("no file"), Met({"count": 1})),
        cadence=Fixed(30),
        clock=clock.clock,
        monotonic=clock.monotonic,
        pause=clock.pause,
        observers=(checkpoint,),
    )


async def test_every_attempt_reaches_the_variable_while_the_wait_goes_on() -> None:
    variables = Variables()
    checkpoint = Checkpoint(HistoryStore(KEY, 20, LOG, variables))
    report = await loop_with(checkpoint, "checkpointed", FakeTime()).run()
    await checkpoint.drain()
    assert stored(variables).attempts == report.history
    assert [a.outcome for a in stored(variables).attempts] == ["not_yet", "not_yet", "not_yet", "met"]


async def test_a_killed_wait_keeps_its_attempts_and_a_rebuilt_one_does_not_double_them() -> None:
    variables = Variables()
    checkpoint = Checkpoint(HistoryStore(KEY, 20, LOG, variables))
    waiting = asyncio.Event()

    async def die_while_waiting(seconds: float, wakeup: asyncio.Event | None = None) -> None:
        waiting.set()
        await asyncio.Future()  # the triggerer is killed during this wait

    loop = loop_with(checkpoint, "killed", FakeTime())
    loop.pause = die_while_waiting
    first = asyncio.ensure_future(loop.run())
    await waiting.wait()
    await checkpoint.drain()
    first.cancel()
    kept = stored(variables).attempts
    assert [a.outcome for a in kept] == ["not_yet"]

    # The rebuilt trigger saves what it sees, the same attempt included: it is kept once.
    rebuilt = Checkpoint(HistoryStore(KEY, 20, LOG, variables))
    rebuilt(kept[0], NotYet("no file"))
    await rebuilt.drain()
    assert stored(variables).attempts == kept


class StalledVariables(Variables):
    """A Variable backend whose writes hang until released (an API server that stopped answering)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def set(self, key: str, value: str) -> None:
        self.release.wait()
        super().set(key, value)


async def test_a_cancelled_trigger_abandons_its_checkpoint_and_leaves_no_task() -> None:
    variables = StalledVariables()
    checkpoint = Checkpoint(HistoryStore(KEY, 20, LOG, variables))
    before = asyncio.all_tasks()
    checkpoint(Attempt(at=1.0, duration=0.0, outcome="not_yet"), NotYet("no file"))
    checkpoint(Attempt(at=2.0, duration=0.0, outcome="not_yet"), NotYet("no file"))
    assert len(asyncio.all_tasks() - before) == 1  # one write at a time
    try:
        await asyncio.wait_for(checkpoint.abandon(), 5)  # the write hangs: abandoning must not wait for it
        assert asyncio.all_tasks() == before
    finally:
        variables.release.set()  # the write in its thread cannot be killed: let it end
