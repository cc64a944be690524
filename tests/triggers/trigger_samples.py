"""One sample of kwargs for every trigger class the package ships.

The contract test runs over this table and fails when a shipped trigger has no entry here, so a
new trigger cannot skip the contract. Each sample must run against real local things (tmp
files, SQLite, a loopback port) and be cheap: the contract runs it for about a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from airflow.sdk import BaseHook

from tests.support.checks import NeverCheck
from triggers.adaptive import Adaptive, AdaptiveIntervalTrigger
from triggers.cadence import Fixed
from triggers.events import FileEventTrigger, HealthEventTrigger, OrderEventTrigger
from triggers.files import FileCheck, FileWatchTrigger
from triggers.gather import AnyOf, CallableCheck, GatherTrigger, JsonDateCheck
from triggers.http import HttpCheck, HttpHealthTrigger
from triggers.orders import DbPollTrigger, JsonOrderCheck
from triggers.poll_trigger import PollTrigger
from triggers.sql import SqlQueryCheck, SqlQueryTrigger

Sample = Callable[[Path], dict[str, Any]]


def common(**overrides: Any) -> dict[str, Any]:
    """Return the kwargs every PollTrigger takes, with a short deadline."""
    kwargs: dict[str, Any] = {
        "cadence": Fixed(0.05).to_dict(),
        "deadline": time.time() + 0.5,
        "attempt_timeout": 1.0,
        "failure_threshold": 3,
        "recovery_timeout": 10.0,
        "max_records": 5,
        "seed": 1,
    }
    kwargs.update(overrides)
    return kwargs


def warm_connections() -> None:
    """Look a connection up once, so what ``BaseHook.aget_connection`` imports on its first call is loaded.

    That first call imports the task SDK's supervisor and secrets cache modules on the loop (about
    0.3 s, up to a second under load); a triggerer has them loaded, so only a bare test process pays.
    """
    with contextlib.suppress(Exception):
        asyncio.run(BaseHook.aget_connection("contract_warm_up"))


SAMPLES: dict[type, Sample] = {
    PollTrigger: lambda tmp_path: common(check=NeverCheck().to_dict()),
    DbPollTrigger: lambda tmp_path: common(
        check=JsonOrderCheck(order_ids=(1,), expected_status="shipped", db_path=str(tmp_path)).to_dict()
    ),
    HttpHealthTrigger: lambda tmp_path: common(check=HttpCheck("http://127.0.0.1:9/api/health").to_dict()),
    FileWatchTrigger: lambda tmp_path: common(check=FileCheck(f"{tmp_path}/drop/*.csv", stable_for=1).to_dict()),
    GatherTrigger: lambda tmp_path: common(
        check=AnyOf(
            {
                "logs": FileCheck(f"{tmp_path}/b/*.log", max_age=3600),
                "catalog": HttpCheck("http://127.0.0.1:9/api/catalog", fields=[("catalog.version", ">", 100)]),
                "inventory": JsonDateCheck(f"{tmp_path}/snapshot.json"),
                "flag": ~CallableCheck("tests.triggers.gather.conditions.ready"),
            },
            timeouts={"logs": 60},
            started_at=time.time(),
        ).to_dict()
    ),
    AdaptiveIntervalTrigger: lambda tmp_path: common(
        check=FileCheck(f"{tmp_path}/in/*.csv").to_dict(),
        cadence=Adaptive(initial_interval=0.05, min_interval=0.02, max_interval=0.1, history_size=5).to_dict(),
        history=[{"at": 1.0, "duration": 0.01, "outcome": "met", "error": None, "interval": 0.05}],
        interval_override=None,
        override_variable="adaptive_contract_override",
        wait_started=time.time(),
    ),
    FileEventTrigger: lambda tmp_path: {
        "check": FileCheck(f"{tmp_path}/events/*.csv", stable_for=1).to_dict(),
        "interval": 0.2,
        "remember_after": 0.1,
    },
    OrderEventTrigger: lambda tmp_path: {
        "check": JsonOrderCheck(order_ids=(1,), expected_status="shipped", db_path=str(tmp_path)).to_dict(),
        "statuses": ["shipped"],
        "updated_column": "updated_at",
        "interval": 0.2,
        "remember_after": 0.1,
    },
    HealthEventTrigger: lambda tmp_path: {
        "check": HttpCheck("http://127.0.0.1:9/api/health").to_dict(),
        "interval": 0.2,
        "confirmations": 2,
        "remember_after": 0.1,
        "attempt_timeout": 1.0,
    },
    SqlQueryTrigger: lambda tmp_path: (
        warm_connections()
        or common(
            check=SqlQueryCheck(
                conn_id="contract_sqlite",
                sql="SELECT count(*) FROM t WHERE a = %s",
                parameters=[1],
                statement_timeout=1.0,
            ).to_dict()
        )
    ),
}
