"""Loop time one NOTIFY costs at 10,000 waits on a channel: parse once and dispatch by key, against a parse per wait.

    python -m benchmarks.notify_dispatch [--waits 10000] [--notifications 200]

Drives :class:`~triggers.sql.listen.Listener`'s notification callback (what asyncpg calls on
the loop) directly, with no database: the cost measured is ours alone. "per wait" is what the
listener did before: each subscription parsed the payload itself (``concerns``).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass

from triggers.sql.listen import Listener, concerns
from triggers.sql.targets import PostgresTarget


@dataclass(frozen=True)
class Dispatch:
    """Loop milliseconds per notification at ``waits`` waits: dispatched by key, and parsed per wait."""

    waits: int
    keyed_ms: float
    per_wait_ms: float


def run(waits: int, notifications: int = 200) -> Dispatch:
    """Measure :func:`measure` in a loop of its own."""
    return Dispatch(waits, *asyncio.run(measure(waits, notifications)))


async def measure(waits: int, notifications: int) -> tuple[float, float]:
    """Return (ms per notification dispatched by key, ms per notification parsed per wait)."""
    listener = Listener(PostgresTarget(host=None, port=5432, database=None, user=None))
    subscriptions = [await listener.subscribe("orders", keys=(str(n),)) for n in range(waits)]
    began = time.perf_counter()
    for n in range(notifications):
        listener._on_notification(None, 0, "orders", str(n % waits))  # what asyncpg calls on the loop
    keyed = (time.perf_counter() - began) / notifications * 1000
    began = time.perf_counter()
    for n in range(notifications):
        payload = str(n % waits)
        for subscription in subscriptions:  # the former dispatch: every wait parses the payload
            if subscription.keys is None or concerns(payload, subscription.keys, subscription.id_column):
                subscription.event.set()
    per_wait = (time.perf_counter() - began) / notifications * 1000
    return keyed, per_wait


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--waits", type=int, default=10_000)
    parser.add_argument("--notifications", type=int, default=200)
    args = parser.parse_args(argv)
    found = run(args.waits, args.notifications)
    print(
        f"{found.waits:,} waits on one channel: {found.keyed_ms:.3f} ms of loop time per notification dispatched "
        f"by key, {found.per_wait_ms:.1f} ms parsed per wait ({found.per_wait_ms / found.keyed_ms:,.0f}x)"
    )


if __name__ == "__main__":
    main()
