"""NOTIFY for orders: the table trigger that announces status changes, and which waits a payload concerns.

The listening itself (one connection per database, reconnects, fan-out) is
:mod:`triggers.sql.listen`, shared with the SQL query sensor. The table needs a trigger that
sends the order id on the channel after each status change (PostgreSQL 11 or later);
:func:`notify_trigger_sql` returns it (see docs/orders.md)::

    CREATE OR REPLACE FUNCTION orders_notify_status() RETURNS trigger AS $$
    BEGIN
      PERFORM pg_notify('order_status', NEW.id::text);
      RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;

    DROP TRIGGER IF EXISTS orders_status_notify ON orders;
    CREATE TRIGGER orders_status_notify
    AFTER INSERT OR UPDATE OF status ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_notify_status();

A payload is read as an order id (plain text, or a JSON string or number) and wakes only the
waits on that order; a JSON object is matched on its id-column key (and wakes every wait when it
has none); an empty payload or other JSON (a list) wakes every wait on the channel. Each
notification is parsed once and dispatched through the listener's index (channel -> id column
-> order key -> subscriptions), so its cost does not grow with the number of waits on the channel.
"""

from __future__ import annotations

from collections.abc import Collection

from triggers.orders.sql import validate_identifier
from triggers.sql.listen import LISTEN_APPLICATION, LISTENERS, Listener, notified_key, parse_payload

__all__ = ["LISTENERS", "LISTEN_APPLICATION", "Listener", "concerns", "notify_trigger_sql"]


def notify_trigger_sql(table: str, channel: str, id_column: str = "id", status_column: str = "status") -> str:
    """Return the SQL that makes ``table`` send ``NEW.<id_column>`` on ``channel`` after each status change."""
    validate_identifier("table", table, qualified=True)
    for argument, name in (("notify_channel", channel), ("id_column", id_column), ("status_column", status_column)):
        validate_identifier(argument, name)
    base = table.rsplit(".", 1)[-1]
    return f"""CREATE OR REPLACE FUNCTION {table}_notify_status() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('{channel}', NEW.{id_column}::text);
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS {base}_status_notify ON {table};
CREATE TRIGGER {base}_status_notify
AFTER INSERT OR UPDATE OF {status_column} ON {table}
FOR EACH ROW EXECUTE FUNCTION {table}_notify_status();
"""


def concerns(payload: str, order_keys: Collection[str], id_column: str) -> bool:
    """Return True when a notification with ``payload`` may concern one of ``order_keys``."""
    key = notified_key(parse_payload(payload), id_column)
    return key is None or key in order_keys
