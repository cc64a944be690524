"""HttpHealthTrigger side by side with Airflow's HttpSensorTrigger (apache-airflow-providers-http).

    python -m benchmarks.http_health [--sensors 200] [--outage 10] [--checks 1000]

The loopback server runs in a separate process (tests.support.http_server) and counts requests
and distinct client connections per path, so its CPU is not the client's. Every loop is bounded
in time and talks to 127.0.0.1 only. Measured:

- requests sent by one sensor polling every second through an outage (503) and a 403;
- connections opened by N concurrent sensors on one host that keeps answering "not yet";
- client CPU seconds per 1,000 checks of a healthy endpoint;
- what a refused connection does to the wait.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import structlog

from benchmarks.measure import loop_lag
from triggers.cadence import Backoff
from triggers.checks import outcome_of
from triggers.http import HttpCheck, HttpHealthTrigger

CONN_ID = "bench_api"
POKE_INTERVAL = 1.0

try:
    from airflow.providers.http.hooks.http import HttpAsyncHook
    from airflow.providers.http.triggers.http import HttpSensorTrigger
except ImportError:  # the provider is optional: only this comparison needs it
    HttpSensorTrigger = None  # type: ignore[assignment,misc]  # absent provider: rows show n/a


@contextlib.contextmanager
def server_process(module: str = "tests.support.http_server") -> Iterator[str]:
    """Run the loopback server ``module`` in a child process; yield its base URL."""
    routes = ["--route", "/down=503", "--route", "/forbidden=403", "--route", "/ok=200"]
    child = subprocess.Popen(
        [sys.executable, "-m", module, "--port", "0", *routes],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        child.terminate()
        child.wait(timeout=10)


def stats(base: str) -> dict[str, dict[str, int]]:
    with urllib.request.urlopen(f"{base}/_stats", timeout=10) as response:  # loopback only
        result: dict[str, dict[str, int]] = json.load(response)
        return result


def delta(base: str, path: str, action: Callable[[], Any]) -> tuple[int, int]:
    """Run ``action``; return the requests and new client connections it caused on ``path``."""
    before = stats(base).get(path, {"requests": 0, "connections": 0})
    action()
    after = stats(base).get(path, {"requests": 0, "connections": 0})
    return after["requests"] - before["requests"], after["connections"] - before["connections"]


def ours(
    base: str, path: str, seed: int = 0, poll: float = POKE_INTERVAL, share: bool = True, factor: float = 2
) -> HttpHealthTrigger:
    """Return our trigger polling ``base + path`` every ``poll`` seconds, as the sensor builds it
    (``factor=1``: no backoff, polling as HttpSensorTrigger does)."""
    check = HttpCheck(url=f"{base}{path}", share_probe=share)
    cadence = Backoff(base=poll, factor=factor, cap=max(60, poll), jitter=0.1)
    return HttpHealthTrigger(check=check.to_dict(), cadence=cadence.to_dict(), seed=seed)


def builtin(path: str, poll: float = POKE_INTERVAL) -> Any:
    """Return Airflow's HttpSensorTrigger on the ``bench_api`` connection, poking every ``poll`` seconds."""
    return HttpSensorTrigger(endpoint=path, http_conn_id=CONN_ID, method="GET", poke_interval=poll)


async def run_for(seconds: float, triggers: list[Any]) -> list[float]:
    """Run the triggers together for at most ``seconds``; a trigger that raises just stops.

    Returns the loop lag measured meanwhile (see benchmarks.measure.loop_lag).
    """

    async def one(trigger: Any) -> None:
        with contextlib.suppress(Exception):
            async for _ in trigger.run():
                return

    tasks = [asyncio.ensure_future(one(t)) for t in triggers]
    lags = await loop_lag(seconds)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return lags


async def our_checks(base: str, count: int) -> None:
    """What our trigger does per check: one request on the held shared session, judged."""
    check = HttpCheck(url=f"{base}/ok", expected_json={"status": 200})
    async with check.opened() as probe:
        for _ in range(count):
            await outcome_of(probe, None)


async def builtin_checks(base: str, count: int) -> None:
    """What HttpSensorTrigger.run does per check: a new ClientSession, then HttpAsyncHook.run."""
    hook = HttpAsyncHook(method="GET", http_conn_id=CONN_ID)
    for _ in range(count):
        async with aiohttp.ClientSession() as session:
            await hook.run(session=session, endpoint="/ok")


def refused_outcome(trigger: Any, seconds: float = 3.0) -> str:
    """Return what happened to ``trigger`` pointed at a closed port within ``seconds``."""

    async def watch() -> str:
        async def first_event() -> Any:
            async for event in trigger.run():
                return event

        try:
            event = await asyncio.wait_for(first_event(), seconds)
        except TimeoutError:
            return "keeps waiting"
        except Exception as error:
            return f"task fails ({type(error).__name__})"
        return f"event {str(event.payload)[:30]}"

    return asyncio.run(watch())


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_per_1000(check: Callable[[], Any], count: int) -> float:
    began = time.process_time()
    check()
    return (time.process_time() - began) / count * 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sensors", type=int, default=200, help="concurrent sensors on one host")
    parser.add_argument("--outage", type=float, default=20.0, help="seconds of outage to sit through")
    parser.add_argument("--checks", type=int, default=1000, help="checks for the CPU measurement")
    args = parser.parse_args(argv)
    # the built-in logs a warning per failed request; the table is what this prints
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    logging.disable(logging.CRITICAL)
    rows: list[tuple[str, str, str]] = []
    with server_process() as base:
        port = base.rsplit(":", 1)[1]
        os.environ[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = json.dumps(
            {"conn_type": "http", "host": "127.0.0.1", "port": int(port)}
        )
        have_builtin = HttpSensorTrigger is not None

        def compare(label: str, path: str, seconds: float, sensors: int, measure: int) -> None:
            mine = delta(
                base, path, lambda: asyncio.run(run_for(seconds, [ours(base, path, i) for i in range(sensors)]))
            )
            theirs = (
                delta(base, path, lambda: asyncio.run(run_for(seconds, [builtin(path) for _ in range(sensors)])))
                if have_builtin
                else None
            )
            rows.append((label, str(mine[measure]), "n/a" if theirs is None else str(theirs[measure])))

        compare(f"requests by 1 sensor, {args.outage:g} s of 503", "/down", args.outage, 1, 0)
        compare("requests by 1 sensor, 3 s of 403", "/forbidden", 3.0, 1, 0)
        compare(f"connections by {args.sensors} sensors, 5 s of 404", "/missing", 5.0, args.sensors, 1)
        mine_cpu = cpu_per_1000(lambda: asyncio.run(our_checks(base, args.checks)), args.checks)
        theirs_cpu = (
            cpu_per_1000(lambda: asyncio.run(builtin_checks(base, args.checks)), args.checks) if have_builtin else None
        )
        rows.append(
            (
                "client CPU s per 1,000 healthy checks",
                f"{mine_cpu:.2f}",
                "n/a" if theirs_cpu is None else f"{theirs_cpu:.2f}",
            )
        )
    closed = closed_port()
    os.environ["AIRFLOW_CONN_BENCH_REFUSED"] = json.dumps({"conn_type": "http", "host": "127.0.0.1", "port": closed})
    mine_refused = refused_outcome(ours(f"http://127.0.0.1:{closed}", "/api/health"))
    theirs_refused = (
        refused_outcome(HttpSensorTrigger(endpoint="/api/health", http_conn_id="bench_refused"))
        if have_builtin
        else "n/a"
    )
    rows.append(("connection refused (3 s)", mine_refused, theirs_refused))
    headers = ("measure", "HttpHealthTrigger", "HttpSensorTrigger")
    widths = [max(len(row[i]) for row in (headers, *rows)) for i in range(3)]
    for row in (headers, *rows):
        print(f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}")


if __name__ == "__main__":
    main()
