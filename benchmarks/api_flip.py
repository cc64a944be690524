"""A loopback API that answers 503 on ``/health`` until ``POST /_flip``, then 200: for detection latency.

    python -m benchmarks.api_flip --port 0

Prints its port on the first line and serves until killed (``--route`` is accepted and ignored,
so ``benchmarks.http_health.server_process`` can start it).
"""

from __future__ import annotations

import argparse
import socket

from aiohttp import web


def make_app() -> web.Application:
    """Return the app: ``GET /health`` answers 503 before the flip and 200 after it."""
    healthy = False

    async def health(request: web.Request) -> web.Response:
        status = 200 if healthy else 503
        return web.json_response({"status": status}, status=status)

    async def flip(request: web.Request) -> web.Response:
        nonlocal healthy
        healthy = request.query.get("to", "healthy") == "healthy"
        return web.json_response({"healthy": healthy})

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
