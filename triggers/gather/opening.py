"""One condition's resources, opened in a task of its own so a slow opening delays only that condition.

A check's ``opened()`` may take a while (resolving an Airflow connection, connecting a LISTEN
session) or fail. A gather opens each condition lazily, in the condition's first attempt, and
concurrently with the others; the opening counts against that attempt's timeout but goes on in
the background if the attempt gives up. An opening that failed is tried again by the next
attempt. The one task that enters the context also leaves it (some context managers insist), and
while it holds the context it forwards the condition's wakeup to the gather: no other task.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from triggers.checks import Probe
from triggers.outcomes import Outcome
from triggers.prober import Opener

LOG = logging.getLogger("triggers.gather")


class Opening:
    """Holds ``opener()`` open until :meth:`close`; calls ``on_wakeup`` when its probe is woken."""

    def __init__(self, opener: Opener, on_wakeup: Callable[[], None]) -> None:
        self.probe: asyncio.Future[Probe] = asyncio.get_running_loop().create_future()
        self._task = asyncio.ensure_future(self._hold(opener, on_wakeup))

    @property
    def broken(self) -> bool:
        """True when opening failed: the next attempt must open again."""
        return self.probe.done() and (self.probe.cancelled() or self.probe.exception() is not None)

    async def check(self) -> Outcome:
        """Check once through the probe, waiting for the opening first; raises what opening raised."""
        probe = await asyncio.shield(self.probe)  # a timed-out attempt must not cancel the opening
        if probe.wakeup is not None:
            probe.wakeup.clear()  # a change signalled from now on must cause another check
        return await probe.check()

    async def close(self) -> None:
        """Leave the context (cancelling an opening still under way) and wait until it is left."""
        self._task.cancel()
        await asyncio.wait((self._task,))  # ends cancelled or not; our own cancellation propagates
        if self.probe.done() and not self.probe.cancelled():
            self.probe.exception()  # retrieved: an opening error nobody awaited is not news

    async def _hold(self, opener: Opener, on_wakeup: Callable[[], None]) -> None:
        try:
            async with opener() as probe:
                self.probe.set_result(probe)
                while probe.wakeup is not None:  # until close() cancels this task
                    await probe.wakeup.wait()
                    probe.wakeup.clear()
                    on_wakeup()
                await asyncio.get_running_loop().create_future()  # nothing to forward: hold until closed
        except asyncio.CancelledError:
            if not self.probe.done():
                self.probe.cancel()
            raise
        except Exception as error:
            if not self.probe.done():
                self.probe.set_exception(error)
            else:
                LOG.warning("closing a condition failed: %s: %s", type(error).__name__, error)
