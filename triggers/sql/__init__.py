"""SQL databases (PostgreSQL, MySQL/MariaDB, SQLite): connections, shared pools, LISTEN, and the query check."""

from triggers.sql.check import LocalSqlQueryCheck, SqlQueryCheck
from triggers.sql.trigger import SqlQueryTrigger

__all__ = ["LocalSqlQueryCheck", "SqlQueryCheck", "SqlQueryTrigger"]
