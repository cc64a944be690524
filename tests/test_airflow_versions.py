"""triggers.compat names what the installed Airflow (3.1 or later) itself uses; airflow_min skips."""

from __future__ import annotations

from typing import Any

import pytest
from airflow.sdk.bases import sensor as airflow_sensor

from tests.support.airflow_versions import NoStatsLogger, stats_backend
from triggers import compat
from triggers.history import Attempt
from triggers.metrics import emit_attempt
from triggers.outcomes import Met


@pytest.mark.parametrize("name", ["AirflowFailException", "AirflowSensorTimeout", "AirflowSkipException"])
def test_our_task_exceptions_are_the_ones_airflows_own_sensor_raises(name: str) -> None:
    # 3.1's task runner catches airflow.exceptions' classes, 3.3's the task SDK's: raising another
    # class of the same name would turn a skip or a no-retry failure into a plain error.
    assert getattr(compat, name) is getattr(airflow_sensor, name)


async def test_amask_secret_hides_the_secret_in_what_airflow_redacts() -> None:
    from airflow.sdk._shared.secrets_masker import redact

    await compat.amask_secret("compat-s3cret-value")
    assert "compat-s3cret-value" not in str(redact("token=compat-s3cret-value"))


async def test_aget_connection_reads_a_connection_and_names_a_missing_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_COMPAT_PG", "postgres://reader:pw@db.example:5433/shop")
    conn = await compat.aget_connection("compat_pg")
    assert (conn.host, conn.port, conn.login, conn.schema) == ("db.example", 5433, "reader", "shop")
    with pytest.raises(compat.AirflowNotFoundException):
        await compat.aget_connection("compat_missing")


def test_attempt_metrics_reach_the_installed_airflows_metrics_backend() -> None:
    sent: list[tuple[str, dict[str, str]]] = []

    class Recorder(NoStatsLogger):
        @classmethod
        def incr(cls, stat: str, count: int = 1, rate: int = 1, *, tags: Any = None) -> None:
            sent.append((stat, dict(tags or {})))

        @classmethod
        def timing(cls, stat: str, dt: Any, *, tags: Any = None) -> None:
            sent.append((stat, dict(tags or {})))

    with stats_backend(Recorder):
        emit_attempt("compat_check")(Attempt(at=0.0, duration=0.01, outcome="met"), Met(value=True))
    assert sent == [
        ("deferrable_sensors.attempts", {"check": "compat_check", "outcome": "met", "error": "none"}),
        ("deferrable_sensors.check_duration", {"check": "compat_check"}),
    ]


def test_airflow_min_skips_a_test_on_an_older_airflow_with_its_reason(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("from tests.conftest import pytest_collection_modifyitems  # noqa: F401")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.airflow_min("99.0", reason="a feature from the future")
        def test_future():
            pass

        @pytest.mark.airflow_min("3.1", reason="the oldest supported release")
        def test_supported():
            pass
        """
    )
    result = pytester.runpytest_inprocess(
        "-rs", "-p", "no:randomly", "-W", "ignore::pytest.PytestUnknownMarkWarning", "-p", "no:asyncio"
    )
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*needs Airflow 99.0+: a feature from the future*"])
