"""HttpHealthTrigger: the poll loop around an :class:`~triggers.http.check.HttpCheck`."""

from __future__ import annotations

from typing import ClassVar

from triggers.checks import Check
from triggers.http.check import HttpCheck
from triggers.poll_trigger import PollTrigger


class HttpHealthTrigger(PollTrigger):
    """Poll an HTTP endpoint until it answers as expected; yield one report event.

    Takes PollTrigger's keyword arguments with ``check`` an ``HttpCheck.to_dict()``. The report's
    ``detail["last_response"]`` holds the last status, latency and a masked excerpt.
    """

    accepts: ClassVar[tuple[type[Check], ...]] = (HttpCheck,)
