import pytest

from triggers.errors import ConfigurationError
from triggers.http.expectations import FieldExpectation, lookup, subset_mismatch

BODY = {"status": "healthy", "version": "1.0", "catalog": {"version": 101, "tags": ["a", "b"]}, "ok": True}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("status", "healthy", id="top"),
        pytest.param("catalog.version", 101, id="nested"),
        pytest.param("catalog.tags.1", "b", id="list-index"),
        pytest.param("catalog.tags.-1", "b", id="negative-index"),
    ],
)
def test_lookup_follows_dot_paths(path, expected) -> None:
    assert lookup(BODY, path) == expected


@pytest.mark.parametrize(
    ("expectation", "holds"),
    [
        pytest.param(FieldExpectation("catalog.version", ">", 100), True, id="gt-holds"),
        pytest.param(FieldExpectation("catalog.version", ">", 101), False, id="gt-fails"),
        pytest.param(FieldExpectation("catalog.version", "<=", 101), True, id="le"),
        pytest.param(FieldExpectation("status", "==", "healthy"), True, id="eq"),
        pytest.param(FieldExpectation("status", "!=", "healthy"), False, id="ne"),
        pytest.param(FieldExpectation("status", "in", ["healthy", "degraded"]), True, id="in"),
        pytest.param(FieldExpectation("catalog.tags"), True, id="exists"),
        pytest.param(FieldExpectation("catalog.missing"), False, id="exists-missing"),
        pytest.param(FieldExpectation("catalog.missing", ">", 1), False, id="missing-compared"),
        pytest.param(FieldExpectation("status", ">", 100), False, id="incomparable-types"),
    ],
)
def test_field_expectations_hold_or_say_why(expectation, holds) -> None:
    mismatch = expectation.mismatch(BODY)
    assert (mismatch is None) is holds
    if not holds:
        assert expectation.path in mismatch


@pytest.mark.parametrize(
    ("expected", "why"),
    [
        pytest.param({"status": "healthy", "version": "1.0"}, None, id="subset-ignores-timestamp-like-extras"),
        pytest.param({"catalog": {"version": 101}}, None, id="nested-subset"),
        pytest.param({"status": "maintenance"}, "status: expected 'maintenance', got 'healthy'", id="value"),
        pytest.param({"uptime": 1}, "uptime: missing", id="missing-key"),
        pytest.param({"ok": 1}, "ok: expected 1, got True", id="bool-is-not-int"),
        pytest.param({"status": {"a": 1}}, "status: expected an object", id="object-vs-string"),
    ],
)
def test_subset_match_names_the_first_difference(expected, why) -> None:
    mismatch = subset_mismatch(expected, BODY)
    assert mismatch == why if why is None else why in mismatch


@pytest.mark.parametrize(
    "item",
    [
        pytest.param(("catalog.version", ">", 100), id="tuple"),
        pytest.param({"path": "catalog.version", "op": ">", "value": 100}, id="dict"),
        pytest.param({"kind": "field", "path": "catalog.version", "op": ">", "value": 100}, id="to_dict-output"),
    ],
)
def test_expectations_are_coerced_from_plain_data(item) -> None:
    assert FieldExpectation.coerce(item) == FieldExpectation("catalog.version", ">", 100)


@pytest.mark.parametrize(
    "item",
    [
        pytest.param(("catalog..version", ">", 1), id="empty-part"),
        pytest.param(("a", "~", 1), id="unknown-op"),
        pytest.param(("a", "in", 1), id="in-needs-list"),
        pytest.param({"path": "a", "oops": 1}, id="unknown-key"),
        pytest.param(42, id="not-an-expectation"),
    ],
)
def test_bad_expectations_name_the_argument(item) -> None:
    with pytest.raises(ConfigurationError, match=r"^field_expectations:"):
        FieldExpectation.coerce(item)
