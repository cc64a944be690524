"""Orders in a SQL table (SQLite or PostgreSQL): the query, the rows as orders, the NOTIFY trigger.

Table and column names cannot be bound as parameters, so they are checked against a strict
pattern when the sensor is built (a bad one fails the DAG at parse time) and written into the
query unquoted; order ids are always bound. Reads go through a
:class:`~triggers.sql.session.DatabaseSession`: one query for all the watched orders (``= ANY($1)``
on PostgreSQL, ``IN`` in chunks on SQLite).

For wake-ups (:mod:`triggers.sql.listen`) the table needs a trigger that sends the order id on
the channel after each status change (PostgreSQL 11 or later); :func:`notify_trigger_sql`
returns it (see docs/orders.md)::

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
has none); an empty payload or other JSON (a list) wakes every wait on the channel.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable
from dataclasses import dataclass

from triggers.orders.records import OrderRow, order_key
from triggers.sql.session import DatabaseSession
from triggers.sql.targets import POSTGRES_TYPES, SQLITE_TYPES, SqliteTarget, validate_identifier

ORDER_TYPES = SQLITE_TYPES | POSTGRES_TYPES
#: Order ids per SQLite query: older SQLite builds take at most 999 variables in a statement.
SQLITE_CHUNK = 900


@dataclass(frozen=True)
class OrderQuery:
    """SELECT the watched orders: id and status first, then the record's columns (all when none given)."""

    table: str
    id_column: str
    status_column: str
    columns: tuple[str, ...] = ()

    def _select(self) -> str:
        record = ", ".join(dict.fromkeys((self.id_column, self.status_column, *self.columns))) if self.columns else "*"
        return f"SELECT {self.id_column}, {self.status_column}, {record} FROM {self.table}"  # names were validated

    def postgres(self) -> str:
        """Return the PostgreSQL query; $1 is the array of order ids."""
        return f"{self._select()} WHERE {self.id_column} = ANY($1)"

    def sqlite(self, count: int) -> str:
        """Return the SQLite query for ``count`` bound order ids."""
        return f"{self._select()} WHERE {self.id_column} IN ({', '.join('?' * count)})"

    async def fetch(self, session: DatabaseSession, order_ids: Collection[Hashable]) -> dict[str, OrderRow]:
        """Return the orders of ``order_ids`` found, by id; raises TransientError or PermanentError."""
        wanted = sorted(order_ids, key=order_key)
        if isinstance(await session.target(), SqliteTarget):
            # a statement takes only so many variables
            chunks = [wanted[start : start + SQLITE_CHUNK] for start in range(0, len(wanted), SQLITE_CHUNK)]
            answers = [await session.fetch(self.sqlite(len(chunk)), chunk) for chunk in chunks]
        else:
            problem = "the order ids do not fit the id column's type"
            answers = [await session.fetch(self.postgres(), [wanted], data_problem=problem)]
        orders: dict[str, OrderRow] = {}
        for names, rows in answers:
            record_names = names[2:]  # columns 0 and 1 are id and status, the rest the record
            for row in rows:
                orders.setdefault(order_key(row[0]), OrderRow(row[1], dict(zip(record_names, row[2:], strict=True))))
        return orders


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
