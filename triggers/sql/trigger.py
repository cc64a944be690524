"""SqlQueryTrigger: the poll loop over a SQL query, woken by NOTIFY when the check listens."""

from __future__ import annotations

from typing import ClassVar

from triggers.checks import Check
from triggers.poll_trigger import PollTrigger
from triggers.sql.check import SqlQueryCheck


class SqlQueryTrigger(PollTrigger):
    """Poll a :class:`SqlQueryCheck` at ``cadence`` until its first row passes, fails or the deadline.

    Takes PollTrigger's keyword arguments; ``check`` must be a ``sql_query`` check. The
    connection is resolved here, in the triggerer (the kwargs hold only its id). With a
    ``listen_channel`` the wait holds a share of the database's one LISTEN connection and checks
    at once on a NOTIFY; the cadence stays the fallback. Yields one report event: met with the
    condition as value, failed at once on ``failure`` or an empty result with ``fail_on_empty``
    or a permanent error (bad credentials, bad SQL), or timeout at the deadline.
    """

    accepts: ClassVar[tuple[type[Check], ...]] = (SqlQueryCheck,)
