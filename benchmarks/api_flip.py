"""A loopback API that answers 503 on ``/health`` until ``POST /_flip``, then 200: for detection latency.

``POST /_flip?to=down&until=<epoch seconds>`` announces the end of the outage: each 503 carries
``Retry-After`` (the whole seconds left, rounded up) and the API turns healthy by itself then.

    python -m benchmarks.api_flip --port 0

Prints its port on the first line and serves until killed (``--route`` is accepted and ignored,
so ``benchmarks.http_health.server_process`` can start it).
"""

from __future__ import annotations

import argparse
import math
import socket
import time

from aiohttp import web


def make_app() -> web.Application:
    """Return the app: ``GET /health`` answers 503 before the flip (or the announced end) and 200 after it."""
    healthy = False
    until: float | None = None
    asked = 0

    async def health(request: web.Request) -> web.Response:
        nonlocal asked
        asked += 1
        left = None if until is None else until - time.time()
        if healthy or (left is not None and left <= 0):
            return web.json_response({"status": 200})
        headers = {} if left is None else {"Retry-After": str(math.ceil(left))}
        return web.json_response({"status": 503}, status=503, headers=headers)

    async def flip(request: web.Request) -> web.Response:
        """Flip, and say how many requests ``/health`` had since the last flip."""
        nonlocal healthy, until, asked
        healthy = request.query.get("to", "healthy") == "healthy"
        until = float(request.query["until"]) if "until" in request.query else None
        since, asked = asked, 0
        return web.json_response({"healthy": healthy, "asked": since})

    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_post("/_flip", flip)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--route", action="append", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args()
    sock = socket.socket()
    sock.bind(("127.0.0.1", args.port))
    sock.listen(1024)  # before the port is announced: a client may connect at once
    print(sock.getsockname()[1], flush=True)
    web.run_app(make_app(), sock=sock, print=None, access_log=None)


if __name__ == "__main__":
    main()
