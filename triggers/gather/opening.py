"""One condition's resources, opened in a task of its own so a slow opening delays only that condition.

A check's ``opened()`` may take a while (resolving an Airflow connection, connecting a LISTEN
session) or fail. A gather opens each condition lazily, in the condition's first attempt, and
concurrently with the others; the opening counts against that attempt's timeout but goes on in
the background if the attempt gives up. An opening that failed is tried again by the next
attempt. The one task that enters the context also leaves it, normally (some context managers
insist), and while it holds the context it forwards the condition's wakeup to the gather: no
other task.
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
        loop = asyncio.get_running_loop()
        self.probe: asyncio.Future[Probe] = loop.create_future()
        self._closed: asyncio.Future[None] = loop.create_future()
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
        if not self._closed.done():
            self._closed.set_result(None)
        if not self.probe.done():
            self._task.cancel()
        elif not self.probe.cancelled() and self.probe.exception() is None:
            wakeup = self.probe.result().wakeup
            if wakeup is not None:
                wakeup.set()  # ends the forwarding below; nothing reads a closing condition's change
        await asyncio.wait((self._task,))  # ends cancelled or not; our own cancellation propagates

    async def _hold(self, opener: Opener, on_wakeup: Callable[[], None]) -> None:
        try:
            async with opener() as probe:
                self.probe.set_result(probe)
                if probe.wakeup is None:
                    await self._closed  # a normal exit: cancelling thousands of holders costs far more
                while probe.wakeup is not None and not self._closed.done():
                    await probe.wakeup.wait()
                    probe.wakeup.clear()
                    if not self._closed.done():
                        on_wakeup()
        except asyncio.CancelledError:
            if not self.probe.done():
                self.probe.cancel()
            raise
        except Exception as error:
            if not self.probe.done():
                self.probe.set_exception(error)
            else:
                LOG.warning("closing a condition failed: %s: %s", type(error).__name__, error)
