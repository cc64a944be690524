"""The seed's mock pricing API (``setup_mock_api_server``) as an aiohttp.web app, with a time scale.

``/api/health`` is healthy for the first half of every cycle (the seed: 60 s of every 120 s)
with the seed's JSON bodies, and answers 503 "maintenance" otherwise. ``/api/catalog`` answers
``{"catalog": {"version": N}}`` with N rising by one every ``catalog_step`` seconds from
``catalog_start``, so "catalog version > 100" becomes true after a while. Run it::

    server = setup_mock_api_server(port=0, cycle=12)         # a thread; server.url("/api/health")
    python -m sandbox.api_server --port 8081 --cycle 120      # its own process
"""

from __future__ import annotations

import argparse
import asyncio
import math
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

SEED_PORT = 8081
SEED_CYCLE = 120.0
HEALTHY_BODY = {"status": "healthy", "version": "1.0"}
MAINTENANCE_BODY = {"status": "maintenance", "message": "API under maintenance"}


@dataclass(frozen=True)
class ApiSchedule:
    """When the API is healthy and which catalog version it serves.

    :param cycle: seconds per maintenance cycle; healthy for the first ``healthy_fraction`` of it.
    :param origin: epoch seconds the cycles count from; 0 follows the wall clock like the seed.
    :param retry_after: send ``Retry-After`` (seconds until healthy) with each 503.
    :param catalog_start: the catalog version when the server starts; +1 every ``catalog_step`` s.
    """

    cycle: float = SEED_CYCLE
    healthy_fraction: float = 0.5
    origin: float = 0.0
    retry_after: bool = False
    catalog_start: int = 95
    catalog_step: float = 10.0

    def healthy(self, now: float) -> bool:
        return (now - self.origin) % self.cycle < self.cycle * self.healthy_fraction

    def seconds_until_healthy(self, now: float) -> float:
        return 0.0 if self.healthy(now) else self.cycle - (now - self.origin) % self.cycle

    def catalog_version(self, elapsed: float) -> int:
        """Return the version ``elapsed`` seconds after the server started."""
        return self.catalog_start + max(0, int(elapsed / self.catalog_step))


def starting_in_maintenance(cycle: float, **settings: Any) -> ApiSchedule:
    """Return a schedule whose maintenance half begins now (for demos and tests that must wait)."""
    return ApiSchedule(cycle=cycle, origin=time.time() - cycle * settings.get("healthy_fraction", 0.5), **settings)


def make_app(
    schedule: ApiSchedule, clock: Callable[[], float] = time.time, token: str | None = None
) -> web.Application:
    """Return the app serving ``/api/health`` and ``/api/catalog`` on ``schedule``.

    With ``token``, a request without ``Authorization: Bearer <token>`` gets 401, like a real
    third-party API; the seed's server asks for no credentials.
    """
    started = clock()

    @web.middleware
    async def bearer_only(request: web.Request, handler: Any) -> web.StreamResponse:
        if token is not None and request.headers.get("Authorization") != f"Bearer {token}":
            return web.json_response({"error": "missing or wrong bearer token"}, status=401)
        response: web.StreamResponse = await handler(request)
        return response

    async def health(request: web.Request) -> web.Response:
        now = clock()
        if schedule.healthy(now):
            return web.json_response({**HEALTHY_BODY, "timestamp": datetime.now().isoformat()})
        headers = {"Retry-After": str(math.ceil(schedule.seconds_until_healthy(now)))} if schedule.retry_after else {}
        return web.json_response(MAINTENANCE_BODY, status=503, headers=headers)

    async def catalog(request: web.Request) -> web.Response:
        return web.json_response({"catalog": {"version": schedule.catalog_version(clock() - started)}})

    app = web.Application(middlewares=[bearer_only])
    app.router.add_get("/api/health", health)
    app.router.add_get("/api/catalog", catalog)
    return app


class BackgroundServer:
    """Serve an aiohttp app on ``host:port`` (0: a free port) from a daemon thread with its own loop."""

    def __init__(self, app: web.Application, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="background-http", daemon=True)
        # short shutdown: a test's deliberately slow handler must not hold up stop()
        self._runner = web.AppRunner(app, shutdown_timeout=0.1, access_log=None)

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    async def _start(self) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]

    def start(self) -> BackgroundServer:
        """Start serving; return self once the port is bound."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def setup_mock_api_server(port: int = SEED_PORT, cycle: float = SEED_CYCLE, **settings: Any) -> BackgroundServer:
    """The seed's one call: start the mock API in a background thread and return it (``.stop()`` ends it)."""
    server = BackgroundServer(make_app(ApiSchedule(cycle=cycle, **settings)), port=port).start()
    print(f"Mock API server started on port {server.port}", flush=True)
    return server


def main(argv: list[str] | None = None) -> None:
    """Run the mock API in this process until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(description="The seed's mock API: healthy for half of every cycle.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=SEED_PORT, help="0 picks a free port (printed)")
    parser.add_argument("--cycle", type=float, default=SEED_CYCLE, help="seconds per maintenance cycle")
    parser.add_argument("--start-in-maintenance", action="store_true", help="begin with the 503 half")
    parser.add_argument("--retry-after", action="store_true", help="send Retry-After with each 503")
    parser.add_argument("--catalog-start", type=int, default=95)
    parser.add_argument("--catalog-step", type=float, default=10.0, help="seconds per catalog version")
    parser.add_argument("--token", default=None, help="require Authorization: Bearer TOKEN")
    args = parser.parse_args(argv)
    settings = {"retry_after": args.retry_after, "catalog_start": args.catalog_start, "catalog_step": args.catalog_step}
    schedule = (
        starting_in_maintenance(args.cycle, **settings)
        if args.start_in_maintenance
        else ApiSchedule(cycle=args.cycle, **settings)
    )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with BackgroundServer(make_app(schedule, token=args.token), host=args.host, port=args.port) as server:
        print(f"Mock API server started on port {server.port}", flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
