"""HTTP health waits at scale: the load they put on the watched API, their loop lag and CPU, their latency.

    python -m benchmarks.http_load [--waits 1000] [--outage 30] [--forbidden 10] [--poll 5]

Builds on benchmarks.http_health (loopback server in a child process, counting requests and
distinct client connections per path): ``waits`` HttpHealthTriggers, then as many Airflow
HttpSensorTriggers, each ``run()`` one asyncio task, wait on one server through ``outage``
seconds of 503 and ``forbidden`` seconds of 403. Also the client CPU per check beside a bare
keep-alive aiohttp GET, and how long after the API turns healthy each kind notices
(benchmarks.api_flip).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import math
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from benchmarks.files_setup import fired_at
from benchmarks.http_health import (
    CONN_ID,
    builtin,
    builtin_checks,
    cpu_per_1000,
    delta,
    our_checks,
    ours,
    run_for,
    server_process,
)
from benchmarks.measure import Lag, percentile

#: ours with a shared probe (the default), ours with ``share_probe=False``, HttpSensorTrigger
KINDS = ("ours", "unshared", "airflow")
#: and for recovery: ours shared with no backoff (backoff_factor=1), polling as HttpSensorTrigger does,
#: and ours (shared, backoff) against an API whose 503s announce the outage's end (Retry-After)
RECOVERY_KINDS = ("ours", "steady", "announced", "unshared", "airflow")


@dataclass(frozen=True)
class Load:
    """What ``waits`` triggers did to the server and to their own process over ``seconds``."""

    requests_per_second: float
    connections: int
    lag: Lag
    cpu_per_minute: float


@contextmanager
def api(module: str = "tests.support.http_server") -> Iterator[str]:
    """Serve ``module`` in a child process with the ``bench_api`` connection pointing at it; yield its URL."""
    with server_process(module) as base:
        port = int(base.rsplit(":", 1)[1])
        os.environ[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = json.dumps(
            {"conn_type": "http", "host": "127.0.0.1", "port": port}
        )
        yield base


def make(kind: str, base: str, path: str, poll: float) -> Callable[[int], Any]:
    """Return a factory of ``kind`` triggers (one of KINDS) waiting on ``path``."""
    if kind in ("ours", "unshared", "steady", "announced"):
        factor = 1 if kind == "steady" else 2
        return lambda seed: ours(base, path, seed, poll, share=kind != "unshared", factor=factor)
    return lambda _seed: builtin(path, poll)


def load(kind: str, base: str, path: str, seconds: float, waits: int, poll: float) -> Load:
    """Return the load ``waits`` triggers of ``kind`` put on ``path`` over ``seconds``."""
    factory = make(kind, base, path, poll)
    lags: list[float] = []
    began = time.process_time()
    requests, connections = delta(
        base, path, lambda: lags.extend(asyncio.run(run_for(seconds, [factory(i) for i in range(waits)])))
    )
    cpu = time.process_time() - began
    return Load(requests / seconds, connections, Lag.of(lags), cpu / seconds * 60)


async def bare_checks(base: str, count: int) -> None:
    """The floor: ``count`` GETs on one keep-alive aiohttp session, body read."""
    async with aiohttp.ClientSession() as session:
        for _ in range(count):
            async with session.get(f"{base}/ok") as response:
                await response.read()


CPU_ROUNDS = 3


def cpu_per_check(base: str, checks: int, rounds: int = CPU_ROUNDS) -> dict[str, float]:
    """Return client CPU seconds per check: ours, the built-in's, and a bare keep-alive GET.

    Each kind first runs a tenth of ``checks`` unmeasured (first imports, connection lookups: paid
    by whichever kind ran first), then ``rounds`` measured runs, interleaved, of which the best counts.
    """
    kinds = {"ours": our_checks, "airflow": builtin_checks, "bare": bare_checks}
    for run in kinds.values():
        asyncio.run(run(base, max(10, checks // 10)))
    best = dict.fromkeys(kinds, math.inf)
    for _ in range(rounds):
        for kind, run in kinds.items():
            spent = cpu_per_1000(functools.partial(asyncio.run, run(base, checks)), checks) / 1000
            best[kind] = min(best[kind], spent)
    return best


async def _healthy_latencies(kind: str, base: str, waits: int, poll: float, outage: float) -> tuple[list[float], int]:
    factory = make(kind, base, "/health", poll)
    rng = random.Random(11)

    async def staggered(seed: int) -> float:
        await asyncio.sleep(rng.uniform(0, poll))  # uniform polling phases, as in a real triggerer
        return await fired_at(factory(seed))

    async with aiohttp.ClientSession() as session:
        # "announced": the API says when it will be back and turns healthy by itself then
        until = time.time() + outage
        down = f"{base}/_flip?to=down" + (f"&until={until!r}" if kind == "announced" else "")
        async with session.post(down) as response:
            response.raise_for_status()
        waiting = [asyncio.ensure_future(staggered(i)) for i in range(waits)]
        asked = 0
        if kind == "announced":
            flipped = time.monotonic() + (until - time.time())  # the same instant on the monotonic clock
        else:
            await asyncio.sleep(outage)
            flipped = time.monotonic()
            async with session.post(f"{base}/_flip?to=healthy") as response:
                asked = int((await response.json())["asked"])
        fired = await asyncio.wait_for(asyncio.gather(*waiting), timeout=outage * 4 + poll * 8 + 60)
        async with session.post(f"{base}/_flip?to=down") as response:  # the requests since the outage began
            asked += int((await response.json())["asked"])
    return [at - flipped for at in fired], asked


def healthy_latencies(
    waits: int, poll: float, outage: float, kinds: tuple[str, ...] = KINDS, requests: dict[str, int] | None = None
) -> dict[str, list[float]]:
    """Return, per kind, how long after the API turned healthy (after ``outage`` s of 503) each wait fired;
    fill ``requests`` with each kind's requests from the outage's start until every wait had fired."""
    found: dict[str, list[float]] = {}
    with api("benchmarks.api_flip") as base:
        for kind in kinds:
            found[kind], asked = asyncio.run(_healthy_latencies(kind, base, waits, poll, outage))
            if requests is not None:
                requests[kind] = asked
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--waits", type=int, default=1000)
    parser.add_argument("--outage", type=float, default=30.0, help="seconds of 503")
    parser.add_argument("--forbidden", type=float, default=10.0, help="seconds of 403")
    parser.add_argument("--poll", type=float, default=5.0, help="poke interval of both kinds")
    parser.add_argument("--checks", type=int, default=1000)
    args = parser.parse_args()
    with api() as base:
        for label, path, seconds in (("503", "/down", args.outage), ("403", "/forbidden", args.forbidden)):
            for kind in KINDS:
                print(label, kind, load(kind, base, path, seconds, args.waits, args.poll))
        print({k: f"{v * 1e6:.0f} us" for k, v in cpu_per_check(base, args.checks).items()})
    for kind, values in healthy_latencies(50, args.poll, 2 * args.poll).items():
        print(kind, f"p50 {percentile(values, 0.5):.3f}s p99 {percentile(values, 0.99):.3f}s")


if __name__ == "__main__":
    main()
