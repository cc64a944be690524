"""The seed's ML data sources and its condition functions, on a scaled-down clock."""

import datetime
import json
import os
import time

import pytest

from sandbox.ml_data import MlDataPaths, feed_ml_data_sources, prepare, setup_ml_data_sources
from triggers.checks import check_once
from triggers.conditions import behaviour_logs_ready, inventory_snapshot_today
from triggers.gather import CallableCheck
from triggers.outcomes import Met, NotYet


def today_utc() -> str:
    return datetime.datetime.now(datetime.UTC).date().isoformat()


def wait_until(predicate, within: float = 5.0) -> None:
    ends = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < ends, "timed out"
        time.sleep(0.01)


def test_threads_write_the_logs_first_and_the_snapshot_later(tmp_path) -> None:
    paths = MlDataPaths(tmp_path)
    timers = setup_ml_data_sources(tmp_path, behaviour_delay=0.05, inventory_delay=0.3)
    assert [p.name for p in (paths.behaviour_dir, paths.catalog_dir, paths.inventory_dir) if p.is_dir()] == [
        "behavior",
        "catalog",
        "inventory",
    ]
    wait_until(lambda: any(paths.behaviour_dir.iterdir()))
    assert not paths.snapshot.exists()
    wait_until(paths.snapshot.exists)
    for timer in timers:
        timer.join(5)
    snapshot = json.loads(paths.snapshot.read_text())
    assert snapshot["date"] == today_utc()
    assert snapshot["products"] == [{"id": 1, "stock": 100}, {"id": 2, "stock": 50}]


async def test_asyncio_feeds_both_sources(tmp_path) -> None:
    paths = await feed_ml_data_sources(tmp_path, behaviour_delay=0.01, inventory_delay=0.02)
    assert len(list(paths.behaviour_dir.glob("user_behavior_*.log"))) == 1
    assert json.loads(paths.snapshot.read_text())["date"] == today_utc()


def test_clear_removes_an_earlier_runs_data(tmp_path) -> None:
    paths = prepare(tmp_path)
    (paths.behaviour_dir / "old.log").write_text("x")
    prepare(tmp_path, clear=True)
    assert list(paths.behaviour_dir.iterdir()) == []


async def test_the_seeds_condition_functions_follow_the_data(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ML_DATA_DIR", str(tmp_path))
    paths = prepare(tmp_path)
    assert behaviour_logs_ready() == (False, 0)
    not_yet = await check_once(CallableCheck("triggers.conditions.inventory_snapshot_today"), None)
    assert (type(not_yet), not_yet.error) == (NotYet, "MissingFileError")
    await feed_ml_data_sources(tmp_path, behaviour_delay=0, inventory_delay=0)
    assert behaviour_logs_ready() == (True, 1)
    assert await inventory_snapshot_today() == Met(today_utc())
    stale = paths.behaviour_dir / "stale.log"
    stale.write_text("x")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    assert behaviour_logs_ready() == (True, 1)  # the two-hour-old log does not count


@pytest.mark.parametrize("name", ["behaviour_logs_ready", "inventory_snapshot_today"])
def test_the_condition_functions_are_importable_by_dotted_path(name) -> None:
    assert CallableCheck.of(f"triggers.conditions.{name}", name=name).target == f"triggers.conditions.{name}"
