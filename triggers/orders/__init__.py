"""Order status checks and their trigger: the seed's JSON mock database, SQLite and PostgreSQL (with NOTIFY)."""

from triggers.orders.checks import JsonOrderCheck, OrderCheck, SqlOrderCheck
from triggers.orders.records import DEFAULT_FAILURE_STATUSES
from triggers.orders.sql import notify_trigger_sql
from triggers.orders.trigger import DbPollTrigger

__all__ = [
    "DEFAULT_FAILURE_STATUSES",
    "DbPollTrigger",
    "JsonOrderCheck",
    "OrderCheck",
    "SqlOrderCheck",
    "notify_trigger_sql",
]
