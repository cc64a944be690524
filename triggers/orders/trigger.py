"""DbPollTrigger: the poll loop over an order check, woken by NOTIFY when the check listens."""

from __future__ import annotations

from typing import ClassVar

from triggers.checks import Check
from triggers.orders.checks import OrderCheck
from triggers.poll_trigger import PollTrigger


class DbPollTrigger(PollTrigger):
    """Wait until orders reach a status in the seed's JSON file, SQLite or PostgreSQL.

    Takes the same keyword arguments as :class:`PollTrigger`; ``check`` must be an order check
    (``order_json`` or ``order_sql``). An ``order_sql`` check with a ``notify_channel`` holds a
    shared LISTEN connection for the wait and checks at once on a notification about its
    orders; the cadence stays the fallback. Yields one report event: met with the order record
    as value, failed at once when an order reaches a failure status, or timeout at the deadline.
    """

    accepts: ClassVar[tuple[type[Check], ...]] = (OrderCheck,)
