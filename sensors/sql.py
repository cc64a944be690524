"""DeferrableSqlSensor: common-sql's SqlSensor, with the same arguments, that waits in the triggerer.

Swap ``SqlSensor`` for ``DeferrableSqlSensor`` and keep the arguments: ``conn_id``, ``sql``,
``parameters``, ``success``, ``failure``, ``selector``, ``fail_on_empty``, ``hook_params``. The
first row decides as in SqlSensor. What differs, and why:

- deferred (the default), ``success`` / ``failure`` / ``selector`` must be module-level
  functions the triggerer can import (or their dotted paths): a lambda or a function in the DAG
  file fails at parse time saying how to fix it. ``deferrable=False`` takes any callable.
- parameters are always bound: write ``%s`` with a list or ``%(name)s`` with a dict on every
  database (``?`` / ``:name`` also work on SQLite, ``$1`` on PostgreSQL); see
  :mod:`triggers.sql.placeholders`.
- the query runs read-only (``read_only=False`` allows writes) under a statement timeout of
  ``attempt_timeout``; ``listen_channel`` (PostgreSQL) wakes the wait on NOTIFY.
- the XCom is the condition (the selected cell) instead of nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sensors.base import DeferrableSensor
from triggers.callables import callable_path, load_callable, why_not_importable
from triggers.errors import ConfigurationError
from triggers.sql import LocalSqlQueryCheck, SqlQueryCheck, SqlQueryTrigger
from triggers.sql.check import SUPPORTED_TYPES

SQL_HOW_TO_FIX = (
    "a deferred wait runs it in the triggerer, which imports it by dotted path: define it at module level in a "
    "module importable by workers and the triggerer (a package or the plugins folder, not the DAG file) and pass "
    "the function or 'package.module.function', or set deferrable=False to poke from a worker"
)
#: hook_params keys with a meaning here (the database to use instead of the connection's).
DATABASE_KEYS = ("database", "schema")
# Stand in for templated values at parse time, so the other arguments are still checked then.
_CONN_ID_STAND_IN = "templated_conn_id"
_FUNCTIONS = ("success", "failure", "selector")


def _templated(value: Any) -> bool:
    return isinstance(value, str) and "{{" in value


class DeferrableSqlSensor(DeferrableSensor):
    """Wait until a SQL query's first row passes, as common-sql's SqlSensor, without holding a worker slot.

    :param conn_id: an Airflow connection of type postgres, mysql (MySQL or MariaDB) or sqlite.
    :param sql: the query (templated; a path ending .sql is read as a template).
    :param parameters: values bound to ``%s`` (a list) or ``%(name)s`` (a dict) placeholders; templated.
    :param success: called with the selected cell; the wait is met when it returns true.
    :param failure: called with the selected cell; the wait fails at once when it returns true.
    :param selector: called with the first row; returns the cell to judge (default: the first cell).
    :param fail_on_empty: fail at once when the query returns no rows (else: not yet).
    :param hook_params: ``{"database": ...}`` (or ``"schema"``) reads another database of the connection.
    :param listen_channel: a PostgreSQL NOTIFY channel that announces changes: a notification checks at once.
    :param read_only: run the query in a read-only transaction (PostgreSQL, MySQL) or file (SQLite).
    :param conn_type: the connection's type, if you want an unsupported one refused at parse time
        (connections are not looked up when the DAG is parsed; else the first check refuses it).
    :param share_probe: waits in one process (a triggerer, or a worker's poke loop) running the
        same read-only query share each run, each judging the row with its own functions; False
        runs it for this sensor alone. A query with ``read_only=False`` is never shared.
    """

    trigger_class = SqlQueryTrigger
    template_fields: Sequence[str] = ("sql", "hook_params", "parameters", "conn_id")
    template_ext: Sequence[str] = (".hql", ".sql")
    ui_color = "#7c7287"

    def __init__(
        self,
        *,
        conn_id: str,
        sql: str,
        parameters: Sequence[Any] | Mapping[str, Any] | None = None,
        success: Callable[[Any], Any] | str | None = None,
        failure: Callable[[Any], Any] | str | None = None,
        selector: Callable[[tuple[Any, ...]], Any] | str | None = None,
        fail_on_empty: bool = False,
        hook_params: Mapping[str, Any] | None = None,
        listen_channel: str | None = None,
        read_only: bool = True,
        conn_type: str | None = None,
        share_probe: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.conn_id = conn_id
        self.sql = sql
        self.parameters = parameters
        self.success = success
        self.failure = failure
        self.selector = None if repr(selector) == "operator.itemgetter(0)" else selector  # SqlSensor's default
        self.fail_on_empty = fail_on_empty
        self.hook_params = hook_params
        self.listen_channel = listen_channel
        self.read_only = read_only
        if conn_type is not None and conn_type not in SUPPORTED_TYPES:
            supported = ", ".join(sorted(SUPPORTED_TYPES))
            raise ConfigurationError("conn_type", f"{conn_type!r} is not supported; supported: {supported}")
        self.conn_type = conn_type
        self.share_probe = share_probe
        self.validate()

    def build_check(self) -> SqlQueryCheck:
        """Return the query check; a local one (poke only) when a function cannot travel to the triggerer."""
        conn_id = _CONN_ID_STAND_IN if _templated(self.conn_id) else self.conn_id
        common: dict[str, Any] = {
            "conn_id": conn_id,
            "sql": self.sql,
            "parameters": self.parameters,
            "fail_on_empty": self.fail_on_empty,
            "database": _database(self.hook_params),
            "listen_channel": self.listen_channel,
            "read_only": self.read_only,
            "statement_timeout": self.attempt_timeout,
            "share_probe": self.share_probe,
        }
        functions = {name: getattr(self, name) for name in _FUNCTIONS}
        for name, function in functions.items():
            if function is not None and not isinstance(function, str) and not callable(function):
                raise ConfigurationError(name, f"must be a function or its dotted path, got {function!r:.100}")
        if self.deferrable or all(_travels(function) for function in functions.values()):
            paths: dict[str, Any] = {
                name: None if f is None else callable_path(f, name, SQL_HOW_TO_FIX) for name, f in functions.items()
            }
            return SqlQueryCheck(**common, **paths)
        local = {name: load_callable(f, name) if isinstance(f, str) else f for name, f in functions.items()}
        return LocalSqlQueryCheck(**common, local=local)


def _travels(function: Any) -> bool:
    return function is None or isinstance(function, str) or why_not_importable(function) is None


def _database(hook_params: Any) -> str | None:
    """Return the database hook_params name, if any; raise ConfigurationError for keys with no meaning here."""
    if hook_params is None:
        return None
    if not isinstance(hook_params, Mapping):
        raise ConfigurationError("hook_params", f"must be a dict, got {hook_params!r:.100}")
    unknown = sorted(set(hook_params) - set(DATABASE_KEYS))
    if unknown:
        raise ConfigurationError("hook_params", f"{unknown} not supported here; only {list(DATABASE_KEYS)}")
    database = hook_params.get("database") or hook_params.get("schema")
    return None if database is None else str(database)
