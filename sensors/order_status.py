"""OrderStatusSensor: wait until an order reaches a status (the seed's Task 1), in the triggerer.

Reads the seed's mock database (``orders.json`` under ``db_path``) by default, or a SQL table
through an Airflow connection (``conn_id``: sqlite or postgres). With a postgres connection and a
``notify_channel`` it wakes on NOTIFY instead of waiting for the next poll; the table needs the
trigger that :func:`triggers.orders.notify_trigger_sql` returns (docs/orders.md shows it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sensors.base import DeferrableSensor
from triggers.errors import ConfigurationError
from triggers.orders import DEFAULT_FAILURE_STATUSES, DbPollTrigger, JsonOrderCheck, OrderCheck, SqlOrderCheck
from triggers.orders.json_store import DEFAULT_DB_PATH, DEFAULT_MAX_PARSE_FAILURES
from triggers.orders.records import validate_order_ids
from triggers.report import Report
from triggers.validation import require_bool


class OrderStatusSensor(DeferrableSensor):
    """Custom sensor that monitors order status in mock database.

    Succeeds when the order (and every one of ``order_ids``) has ``expected_status``; the
    order's record is the XCom (a list of records for several orders). Fails at once, quoting
    the order, when one reaches a status in ``failure_statuses``.

    Every argument a DAG author would template is a template field (``order_id``,
    ``order_ids``, ``expected_status``, ``failure_statuses``, ``db_path``, ``conn_id``,
    ``table``); whole-number text in ``order_id`` and ``order_ids`` becomes an int.

    :param order_id: the order to wait for.
    :param expected_status: the status to wait for, e.g. ``"shipped"``.
    :param db_path: the seed's mock database directory (holding ``orders.json``), or a .json file;
        absolute, templated.
    :param order_ids: more orders that must reach ``expected_status`` too.
    :param failure_statuses: statuses an order never leaves; reaching one fails the sensor.
    :param conn_id: an Airflow connection (sqlite or postgres) to read ``table`` from instead of
        ``db_path``; its credentials are resolved in the triggerer, never put in the trigger.
    :param table: the orders table (``name`` or ``schema.name``).
    :param id_column: the column (or JSON key) holding the order id.
    :param status_column: the column (or JSON key) holding the status.
    :param columns: columns of the record to return (id and status always); None: all.
    :param notify_channel: a PostgreSQL NOTIFY channel announcing status changes.
    :param max_parse_failures: consecutive unparsable reads of the JSON file that fail the sensor.
    :param share_probe: waits on one JSON file, or one table, in one process (a triggerer, or a
        worker's poke loop) share each read: one parse of the file, or one query about all their
        orders; each judges its own orders. False reads for this sensor alone.
    """

    trigger_class = DbPollTrigger
    template_fields: Sequence[str] = (
        "order_id",
        "order_ids",
        "expected_status",
        "failure_statuses",
        "db_path",
        "conn_id",
        "table",
    )
    template_stand_ins = {
        "order_id": 1,
        "order_ids": (1,),
        "expected_status": "shipped",
        "failure_statuses": ("cancelled",),
        "db_path": "/templated/path",
        "conn_id": "templated_conn_id",
        "table": "orders",
    }
    integer_fields = frozenset({"order_id", "order_ids"})

    def __init__(
        self,
        order_id: int,
        expected_status: str,
        db_path: str = DEFAULT_DB_PATH,
        *,
        order_ids: Sequence[int | str] | None = None,
        failure_statuses: Sequence[str] = DEFAULT_FAILURE_STATUSES,
        conn_id: str | None = None,
        table: str = "orders",
        id_column: str = "id",
        status_column: str = "status",
        columns: Sequence[str] | None = None,
        notify_channel: str | None = None,
        max_parse_failures: int = DEFAULT_MAX_PARSE_FAILURES,
        share_probe: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.order_id = order_id
        self.expected_status = expected_status
        self.db_path = db_path
        self.order_ids = order_ids
        self.failure_statuses = failure_statuses
        self.conn_id = conn_id
        self.table = table
        self.id_column = id_column
        self.status_column = status_column
        self.columns = _required_list("columns", columns)
        if notify_channel is not None and conn_id is None:
            raise ConfigurationError("notify_channel", "needs conn_id (a postgres connection); a JSON file has none")
        self.notify_channel = notify_channel
        self.max_parse_failures = max_parse_failures
        self.share_probe = share_probe
        self.validate()

    def check_arguments(self) -> None:
        """Check every argument; ``order_ids`` on its own, since the check would name ``order_id``."""
        more = _required_list("order_ids", self.order_ids)
        if more:
            validate_order_ids(more, "order_ids")
        require_bool("share_probe", self.share_probe)
        super().check_arguments()

    def build_check(self) -> OrderCheck:
        """Return the JSON-file check, or the SQL-table check when ``conn_id`` is set."""
        common: dict[str, Any] = {
            "order_ids": (self.order_id, *_required_list("order_ids", self.order_ids)),
            "expected_status": self.expected_status,
            "failure_statuses": self.failure_statuses,
            "id_column": self.id_column,
            "status_column": self.status_column,
        }
        if self.conn_id is None:
            return JsonOrderCheck(
                **common,
                db_path=self.db_path,
                max_parse_failures=self.max_parse_failures,
                share_probe=self.share_probe,
            )
        return SqlOrderCheck(
            **common,
            conn_id=self.conn_id,
            table=self.table,
            columns=self.columns,
            notify_channel=self.notify_channel,
            share_probe=self.share_probe,
        )

    def on_report(self, context: Any, report: Report) -> None:
        """Log the status each order was last seen in."""
        orders = report.detail.get("orders")
        if orders:
            self.log.info("Order statuses at the end of the wait: %s", orders)


def _required_list(argument: str, value: Any) -> tuple[Any, ...]:
    """Return a list argument as a tuple (None: empty); raise ConfigurationError for a bare string or scalar."""
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ConfigurationError(argument, f"must be a list, got {value!r}")
    return tuple(value)
