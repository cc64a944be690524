import asyncio
import logging

from tests.support.checks import script
from tests.support.fake_time import FakeTime
from tests.support.variables import Variables
from triggers.adaptive.checkpoint import Checkpoint
from triggers.adaptive.store import HistoryStore, SensorHistory
from triggers.cadence import Fixed
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
        sleep=clock.sleep,
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

    async def die_while_waiting(seconds: float) -> None:
        waiting.set()
        await asyncio.Future()  # the triggerer is killed during this wait

    loop = loop_with(checkpoint, "killed", FakeTime())
    loop.sleep = die_while_waiting
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
