"""SqlQueryCheck on real SQLite, PostgreSQL and MariaDB: SqlSensor's answers, bound values, errors."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.triggers.sql.databases import CONN_ID, SECRET, Database
from triggers.checks import check_once, outcome_of
from triggers.outcomes import Failed, Met, NotYet, Outcome
from triggers.report import MAX_CONDITION_VALUE_CHARS
from triggers.sql import SqlQueryCheck

CONDITIONS = "tests.triggers.sql.conditions"
SQL_IN_A_VALUE = "x'; DROP TABLE jobs; --"


def query(sql: str = "SELECT n FROM jobs WHERE id = %s", parameters: Any = (1,), **kwargs: Any) -> SqlQueryCheck:
    return SqlQueryCheck(conn_id=kwargs.pop("conn_id", CONN_ID), sql=sql, parameters=parameters, **kwargs)


async def look(check: SqlQueryCheck) -> Outcome:
    return await check_once(check, timeout=20.0)


async def test_the_first_cell_decides_and_is_the_value(database: Database) -> None:
    assert await look(query()) == NotYet("not met: the first cell is 0", detail={"row": {"n": 0}})
    await asyncio.to_thread(database.run, "UPDATE jobs SET n = 3 WHERE id = 1")
    outcome = await look(query())
    assert isinstance(outcome, Met)
    assert outcome.value == 3


async def test_a_wide_row_is_reported_capped(database: Database) -> None:
    wide = "x" * (2 * MAX_CONDITION_VALUE_CHARS)
    outcome = await look(query("SELECT n, %s AS note FROM jobs WHERE id = %s", (wide, 1)))
    assert isinstance(outcome, NotYet)
    assert outcome.detail["row"]["truncated"] is True
    assert len(json.dumps(outcome.detail)) < MAX_CONDITION_VALUE_CHARS


async def test_success_decides_on_the_selected_cell(database: Database) -> None:
    check = query(
        "SELECT status, n FROM jobs WHERE id = %s",
        (2,),
        selector=f"{CONDITIONS}.second_cell",
        success=f"{CONDITIONS}.at_least_three",
    )
    outcome = await look(check)
    assert isinstance(outcome, Met)
    assert outcome.value == 5
    await asyncio.to_thread(database.run, "UPDATE jobs SET n = 2 WHERE id = 2")
    outcome = await look(check)
    assert isinstance(outcome, NotYet)
    assert outcome.reason == f"not met: {CONDITIONS}.at_least_three(2) returned False"


async def test_failure_fails_at_once(database: Database) -> None:
    await asyncio.to_thread(database.run, "UPDATE jobs SET n = -1 WHERE id = 1")
    outcome = await look(query(failure=f"{CONDITIONS}.negative", success=f"{CONDITIONS}.at_least_three"))
    assert isinstance(outcome, Failed)
    assert outcome.reason == f"failure criteria met: {CONDITIONS}.negative(-1) returned True"


@pytest.mark.parametrize(
    ("fail_on_empty", "expected"),
    [
        pytest.param(False, NotYet("no rows yet"), id="not-yet"),
        pytest.param(True, Failed("no rows returned, and fail_on_empty is set"), id="fail"),
    ],
)
async def test_no_rows(database: Database, fail_on_empty: bool, expected: Outcome) -> None:
    assert await look(query(parameters=(99,), fail_on_empty=fail_on_empty)) == expected


async def test_named_parameters_are_bound_and_a_value_with_sql_in_it_is_harmless(database: Database) -> None:
    check = query(
        "SELECT count(*) FROM jobs WHERE status = %(status)s OR status = %(status)s", {"status": SQL_IN_A_VALUE}
    )
    assert isinstance(await look(check), NotYet)  # no such status: count 0
    await asyncio.to_thread(database.run, "INSERT INTO jobs VALUES (3, %s, 1)", SQL_IN_A_VALUE)
    assert (await look(check)).value == 1  # the value matched as text
    assert len(await asyncio.to_thread(database.run, "SELECT id FROM jobs")) == 3  # and dropped nothing


async def test_the_query_cannot_write_by_default(database: Database) -> None:
    outcome = await look(query("UPDATE jobs SET n = 7 WHERE id = %s", (1,)))
    assert isinstance(outcome, Failed)
    assert await asyncio.to_thread(database.run, "SELECT n FROM jobs WHERE id = 1") == [(0,)]


async def test_a_syntax_error_is_permanent(database: Database) -> None:
    outcome = await look(query("SELEKT n FROM jobs", None))
    assert isinstance(outcome, Failed)
    assert outcome.error == "PermanentError"


async def test_a_killed_connection_mid_wait_is_not_yet_and_the_wait_reconnects(server: Database) -> None:
    database = server
    async with query().opened() as probe:
        assert isinstance(await outcome_of(probe, 20.0), NotYet)
        killed = await database.kill_sessions()
        assert killed, "the check keeps a pooled session between attempts"
        after_kill = await outcome_of(probe, 20.0)
        assert isinstance(after_kill, NotYet), after_kill  # a lost connection, or the answer again: never failed
        await asyncio.to_thread(database.run, "UPDATE jobs SET n = 3 WHERE id = 1")
        assert await outcome_of(probe, 20.0) == Met(3, detail={"row": {"n": 3}})
        assert not set(await database.sessions()) & set(killed)


async def test_wrong_credentials_are_permanent_and_the_password_is_not_shown(server: Database, monkeypatch) -> None:
    database = server
    monkeypatch.setenv("AIRFLOW_CONN_BAD_CREDENTIALS", database.uri_with_bad_credentials())
    outcome = await look(query(conn_id="bad_credentials"))
    assert isinstance(outcome, Failed)
    assert "refused the connection's credentials" in outcome.reason
    assert SECRET not in json.dumps([outcome.reason, outcome.detail])


SLOW_QUERIES = {
    "postgres": "SELECT 1 FROM pg_sleep(5)",
    "mariadb": "SELECT 1 FROM jobs WHERE SLEEP(5) = 0",
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c",
}


async def test_the_statement_timeout_stops_the_query_as_not_yet(database: Database) -> None:
    loop = asyncio.get_running_loop()
    began = loop.time()
    async with query(SLOW_QUERIES[database.kind], None, statement_timeout=0.5).opened() as probe:
        outcome = await outcome_of(probe, 10.0)
    assert isinstance(outcome, NotYet), outcome
    assert outcome.error == "TransientError"
    assert loop.time() - began < 5  # stopped by the server (or SQLite), not by the attempt's own timeout


async def test_an_unsupported_connection_type_fails_naming_it(monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_WEB", "http://example.com")
    outcome = await look(query(conn_id="web"))
    assert isinstance(outcome, Failed)
    assert "is of type 'http'" in outcome.reason
