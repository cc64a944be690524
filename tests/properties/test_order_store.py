"""Properties of the JSON order store: whatever is in orders.json, the answer is ours.

Arbitrary bytes or JSON in the file give an order map, a transient error (torn, invalid layout:
"not yet") or a PermanentError; and the check built on it gives an outcome. Never another
exception: that would fail a sensor with a traceback instead of a reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from triggers.checks import Probe, outcome_of
from triggers.errors import PermanentError, TransientError
from triggers.orders import JsonOrderCheck
from triggers.orders.json_store import read_orders

EXAMPLES = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=15,
)
# Records that look like orders, so the id and status paths are exercised, not just the layout check.
records = st.fixed_dictionaries({}, optional={"id": json_values, "status": json_values}).flatmap(
    lambda base: st.dictionaries(st.text(max_size=6), json_values, max_size=3).map(lambda extra: {**extra, **base})
)
order_files = (
    st.binary(max_size=200)
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.lists(records, max_size=5).map(lambda v: json.dumps(v).encode())
    | st.lists(records, max_size=5).map(lambda v: json.dumps({"orders": v}).encode())
)
DEEP = b"[" * 100_000 + b"]" * 100_000  # deeper than json's recursion allows
HUGE_INT = b'[{"id": 1, "status": ' + b"9" * 5000 + b"}]"  # longer than int() parses by default


@contextlib.contextmanager
def _written(raw: bytes) -> Iterator[Path]:
    """Yield a directory holding ``raw`` as orders.json, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="orders_prop_") as folder:
        (Path(folder) / "orders.json").write_bytes(raw)
        yield Path(folder)


@EXAMPLES
@given(order_files)
@example(DEEP)
@example(HUGE_INT)
@example(b"\xff\xfe{\x00")  # a UTF-16 byte order mark before garbage
@example(b'[{"id": NaN, "status": Infinity}]')
def test_parsing_any_file_gives_orders_or_an_error_of_ours(raw: bytes) -> None:
    with _written(raw) as folder:
        try:
            rows = asyncio.run(read_orders(str(folder / "orders.json"), id_column="id", status_column="status"))
        except (TransientError, PermanentError):
            return
    assert all(isinstance(key, str) for key in rows)


@EXAMPLES
@given(order_files, st.sampled_from([1, "1", "A-1"]))
@example(DEEP, 1)
@example(HUGE_INT, 1)
@example(b'[{"id": 1, "status": {"nested": ["shipped"]}}]', 1)
def test_the_check_on_any_file_gives_an_outcome_naming_no_foreign_error(raw: bytes, order_id: Any) -> None:
    with _written(raw) as folder:
        check = JsonOrderCheck(order_ids=(order_id,), expected_status="shipped", db_path=str(folder))
        outcome = asyncio.run(outcome_of(Probe(check=check.check), timeout=5))
    assert outcome.kind in ("met", "not_yet", "failed")
    assert outcome.error in (None, "TornFileError", "InvalidLayoutError", "PermanentError"), outcome
