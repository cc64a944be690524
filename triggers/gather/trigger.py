"""GatherTrigger: the PollTrigger whose check is an AllOf / AnyOf / AtLeast gather of conditions."""

from __future__ import annotations

import dataclasses
import random
from typing import ClassVar

from triggers.checks import Check
from triggers.gather.composition import Gather
from triggers.poll_loop import PollLoop
from triggers.poll_trigger import PollTrigger


class GatherTrigger(PollTrigger):
    """Wait for a gather of conditions; yields one ``TriggerEvent`` with ``Report.to_event()``."""

    accepts: ClassVar[tuple[type[Check], ...]] = (Gather,)

    def make_loop(self) -> PollLoop:
        """Return the poll loop with the attempt timeout moved onto each condition.

        A round ends by itself within the gather's ``round_wait`` (by default the cadence's first
        delay) with every condition's status, so the loop puts no timeout on it and lets the last
        round run up to ``round_wait`` past the deadline rather than cut it with no status.
        """
        loop = super().make_loop()
        gather = self.check
        assert isinstance(gather, Gather)  # guaranteed by ``accepts``
        round_wait = gather.round_wait or self.cadence.next_delay((), random.Random(self.seed))
        timeout = gather.attempt_timeout or self.attempt_timeout
        loop.check = dataclasses.replace(gather, attempt_timeout=timeout, round_wait=round_wait)
        loop.attempt_timeout, loop.attempt_grace = None, round_wait
        return loop
