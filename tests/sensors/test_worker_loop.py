"""Checks run from sync code share one event loop per worker process, so pokes share what they open."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sensors import APIHealthSensor
from sensors.worker_loop import run_sync, worker_loop
from tests.support.http_server import LoopbackServer, Reply, http_server
from tests.support.sensors import context

__all__ = ["http_server"]


async def running_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def test_every_call_runs_on_the_same_loop_in_its_own_thread() -> None:
    first, second = run_sync(running_loop()), run_sync(running_loop())
    assert first is second is worker_loop()
    assert first.is_running()


async def test_a_caller_that_runs_a_loop_of_its_own_can_use_it() -> None:
    assert run_sync(running_loop()) is not asyncio.get_running_loop()


def test_an_error_reaches_the_caller() -> None:
    async def fail() -> None:
        raise LookupError("no such order")

    with pytest.raises(LookupError, match="no such order"):
        run_sync(fail())


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_worker_gets_a_loop_of_its_own() -> None:
    parent = run_sync(running_loop())
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if it ran on a new, working loop
        try:
            os._exit(0 if run_sync(running_loop()) is not parent else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_poke_mode_holds_one_http_session_from_the_first_poke_to_the_end(http_server: LoopbackServer) -> None:
    """Before, each poke ran its own loop, session and TCP connection: three pokes, three connections."""
    http_server.script("/api/health", Reply(503, body="down"), Reply(503, body="down"), Reply(200, json={}))
    sensor = APIHealthSensor(
        task_id="api",
        endpoint_url=http_server.url("/api/health"),
        deferrable=False,
        mode="poke",
        poke_interval=0.01,
        backoff_factor=1,
        timeout=30,
    )
    sensor.execute(context())
    assert http_server.count("/api/health") == 3
    assert http_server.connections("/api/health") == 1
    assert sensor._poking is not None
    assert sensor._poking._held is None  # closed when execute() ended


@pytest.mark.parametrize(
    "made",
    [
        "MultiSourceReadinessSensor(task_id='m', conditions={'a': lambda: True, 'b': lambda: False})",
        "APIHealthSensor(task_id='a', endpoint_url='http://127.0.0.1:9/health')",  # refused: not yet
        "FileArrivalSensor(task_id='f', filepath='/nonexistent-drop/*.csv')",
    ],
    ids=["gather", "http", "files"],
)
def test_a_sensor_poked_without_execute_leaves_nothing_pending_at_exit(tmp_path, made: str) -> None:
    """A check written from the seed's starter code calls poke() alone; the process must exit clean."""
    script = tmp_path / "poke_only.py"
    script.write_text(
        "from sensors import APIHealthSensor, FileArrivalSensor, MultiSourceReadinessSensor\n"
        "from tests.support.sensors import context\n"
        f"made = {made}\n"
        "print('answer', made.poke(context()), made.poke(context()))\n"
    )
    root = Path(__file__).parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=root, env=env)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "answer False False" in done.stdout
    assert "Task was destroyed but it is pending" not in output
    assert "Traceback" not in output, output
