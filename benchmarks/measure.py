"""What every benchmark measures the same way: memory, CPU, loop lag, percentiles, tables, the machine.

Loop lag is how late a short ``asyncio.sleep`` wakes up: what Airflow's triggerer watches
(it warns when its loop is blocked for more than 0.2 s).
"""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import structlog

TICK = 0.05  # seconds each lag probe sleeps
AIRFLOW_WARNS_AT = 0.2  # seconds of blocked loop the triggerer warns about


def rss_bytes() -> int:
    """Return this process's resident set size in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def loop_lag(seconds: float) -> list[float]:
    """Return how late each 50 ms sleep woke up, over ``seconds``."""
    lags = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        asked = time.monotonic()
        await asyncio.sleep(TICK)
        lags.append(time.monotonic() - asked - TICK)
    return lags


async def settle(at_least: float, at_most: float, quiet: float = 0.02) -> float:
    """Wait until the loop has been responsive for a second (but ``at_least``/``at_most`` s); return seconds."""
    began = time.monotonic()
    calm = 0
    while time.monotonic() - began < at_most:
        lags = await loop_lag(0.25)
        calm = calm + 1 if max(lags) < quiet else 0
        if calm >= 4 and time.monotonic() - began >= at_least:
            break
    return time.monotonic() - began


@dataclass(frozen=True)
class Lag:
    """Loop lag percentiles in seconds, and how many probes were late by Airflow's warning limit."""

    p50: float
    p99: float
    max: float
    warnings: int

    @classmethod
    def of(cls, lags: Sequence[float]) -> Lag:
        return cls(
            percentile(lags, 0.5), percentile(lags, 0.99), max(lags), sum(1 for v in lags if v > AIRFLOW_WARNS_AT)
        )

    def ms(self) -> str:
        """Return ``"p50/p99/max"`` in milliseconds."""
        return f"{self.p50 * 1000:.1f}/{self.p99 * 1000:.1f}/{self.max * 1000:.0f}"


def percentile(values: Sequence[float], fraction: float) -> float:
    """Return the ``fraction`` percentile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def ratio(value: float, reference: float) -> str:
    """Return ``value / reference`` as ``"0.01x"``, or "-" when undefined."""
    return "-" if reference <= 0 else f"{value / reference:.2g}x"


def markdown(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Return rows as a Markdown table (first column left-aligned, the rest right-aligned)."""
    lines = ["| " + " | ".join(str(h) for h in headers) + " |"]
    lines.append("|" + "|".join([":---", *["---:"] * (len(headers) - 1)]) + "|")
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, str]:
    """Return what the numbers depend on: CPU model, cores, RAM, kernel, Python, Airflow and provider versions."""
    model = "unknown"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as meminfo:
        ram_kib = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    return {
        "CPU": model,
        "cores": f"{os.cpu_count()} (usable: {len(os.sched_getaffinity(0))})",
        "RAM": f"{ram_kib / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "Python": platform.python_version(),
        "Airflow": _version("apache-airflow"),
        "providers-standard": _version("apache-airflow-providers-standard"),
        "providers-http": _version("apache-airflow-providers-http"),
        "aiohttp": _version("aiohttp"),
    }


#: A kind suffix (``"inotify+portal"``): run each trigger as Airflow's ``TriggerRunner.run_trigger``
#: does, in a task that first opens a greenback portal (sync SDK calls from async code need it).
PORTAL = "+portal"


async def fired_at(trigger: Any, *, portal: bool = False) -> float:
    """Run ``trigger`` (its ``run()`` as one task, as the triggerer does) to its first event; return when it came.

    ``portal``: open the greenback portal first, as the triggerer does for every trigger.
    """
    if portal:
        import greenback

        await greenback.ensure_portal()
    async for _event in trigger.run():
        return time.monotonic()
    raise RuntimeError(f"{type(trigger).__name__} ended without an event")


async def detection(
    triggers: Sequence[Any], change: Callable[[int], Awaitable[object]], spread: float, settle: float, seed: int = 7
) -> list[float]:
    """Return, per trigger, seconds from its condition turning true to its event.

    All ``triggers`` wait at once; after ``settle`` seconds ``change(i)`` makes trigger i's
    condition true, at random moments spread over ``spread`` seconds (so polling phases are
    uniform); each latency runs from the end of its change.
    """
    waiting = [asyncio.ensure_future(fired_at(trigger)) for trigger in triggers]
    await asyncio.sleep(settle)
    rng = random.Random(seed)
    schedule = sorted((rng.uniform(0, spread), i) for i in range(len(triggers)))
    start = time.monotonic()
    changed: dict[int, float] = {}
    for offset, index in schedule:
        await asyncio.sleep(max(0.0, start + offset - time.monotonic()))
        await change(index)
        changed[index] = time.monotonic()
    fired = await asyncio.wait_for(asyncio.gather(*waiting), timeout=spread * 3 + 30)
    return [fired[i] - changed[i] for i in range(len(triggers))]


def quiet_logs(level: int = logging.WARNING) -> None:
    """Drop log lines below ``level`` (triggers log what they find, the built-ins every failed try)."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(level))
    logging.disable(level - 1)
