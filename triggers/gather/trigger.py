"""GatherTrigger: the PollTrigger for AllOf / AnyOf / AtLeast gathers of conditions.

Its kwargs are the PollTrigger's, with a gather as the check. Each round runs the pending
conditions concurrently, each under its own attempt timeout; the report's ``detail`` carries
every condition's status. Yields one ``TriggerEvent`` with ``Report.to_event()``.

Condition timeouts count from the gather's ``started_at``, which the sensor stamps when the
wait starts and which travels in the kwargs: a trigger rebuilt after a triggerer restart keeps
its deadlines. (A gather built by hand without ``started_at`` counts from the first round, so a
restart would start its condition timeouts again.) Latched statuses are kept for one run of the
trigger; a restarted trigger asks every condition again.
"""

from __future__ import annotations

import dataclasses
import random
from typing import ClassVar

from triggers.checks import Check
from triggers.gather.composition import Gather
from triggers.poll_loop import PollLoop
from triggers.poll_trigger import PollTrigger


class GatherTrigger(PollTrigger):
    """Wait for a gather of conditions (see the module docstring)."""

    accepts: ClassVar[tuple[type[Check], ...]] = (Gather,)

    def make_loop(self) -> PollLoop:
        """Return the poll loop with the attempt timeout moved onto each condition.

        A round is bounded by the gather's ``round_wait`` (by default the cadence's first
        delay), so the loop puts no attempt timeout on it, and lets the last round run up to
        ``round_wait`` past the deadline (a backstop only: the round ends by itself).
        """
        loop = super().make_loop()
        gather = self.check
        assert isinstance(gather, Gather)  # guaranteed by ``accepts``
        round_wait = (
            gather.round_wait
            if gather.round_wait is not None
            else self.cadence.next_delay((), random.Random(self.seed))
        )
        loop.check = dataclasses.replace(
            gather,
            attempt_timeout=gather.attempt_timeout if gather.attempt_timeout is not None else self.attempt_timeout,
            round_wait=round_wait,
        )
        loop.attempt_timeout = None
        # A round ends within round_wait with every condition's status: cut at the deadline it
        # would report none, so the last round may end up to round_wait after it.
        loop.attempt_grace = round_wait
        return loop
