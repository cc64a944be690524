"""The seed's mock database: ``orders.json`` under a directory, read without blocking the loop.

Both layouts the seed shows are read: a bare list of orders (what ``setup_ecommerce_database``
writes) and ``{"orders": [...]}``. The seed's updater rewrites the file in place, so a reader can
catch it empty or half written: that is a transient "not yet" (``read_json`` raises
TornFileError). A file that stays unparsable is a real problem: the order check fails the wait
after ``max_parse_failures`` such reads in a row, counted by the wait's state in every mode.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from triggers.errors import ConfigurationError, TransientError
from triggers.json_file import read_json
from triggers.orders.records import OrderRow, order_key

ORDERS_FILE = "orders.json"
DEFAULT_DB_PATH = "/tmp/mock-ecommerce-db"  # the seed's path
DEFAULT_MAX_PARSE_FAILURES = 5


class InvalidLayoutError(TransientError):
    """The file is valid JSON but neither a list of orders nor ``{"orders": [...]}``."""


#: The errors of a file that was there but could not be read as orders (escalated by the check).
UNPARSABLE = ("TornFileError", "InvalidLayoutError")


def orders_file(db_path: str) -> str:
    """Return the JSON file for ``db_path``: the path itself when it names a .json file, else orders.json in it."""
    return db_path if db_path.endswith(".json") else os.path.join(db_path, ORDERS_FILE)


def validate_db_path(db_path: Any) -> str:
    """Return ``db_path``; raise ConfigurationError unless it is an absolute path.

    Relative paths are refused: the worker and the triggerer run in different directories.
    """
    if not isinstance(db_path, str) or not db_path.strip():
        raise ConfigurationError("db_path", f"must be a directory path, got {db_path!r}")
    if not os.path.isabs(db_path):
        raise ConfigurationError("db_path", f"must be absolute (the triggerer runs elsewhere), got {db_path!r}")
    return db_path


async def read_orders(path: str, *, id_column: str, status_column: str) -> Mapping[str, OrderRow]:
    """Return the orders in ``path`` by id as text (the first of a repeated id wins; records without one are skipped).

    Raises MissingFileError, TornFileError or InvalidLayoutError (transient: a check that keeps
    meeting the last two fails, see :meth:`JsonOrderCheck.escalate`).
    """
    data = await read_json(path)
    orders = data.get("orders") if isinstance(data, dict) else data
    if not isinstance(orders, list) or not all(isinstance(order, dict) for order in orders):
        raise InvalidLayoutError(f'{path} is neither a list of orders nor {{"orders": [...]}}')
    rows: dict[str, OrderRow] = {}
    for record in orders:
        if id_column in record:
            rows.setdefault(order_key(record[id_column]), OrderRow(record.get(status_column), record))
    return rows
