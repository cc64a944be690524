"""A real aiohttp.web server on 127.0.0.1 whose answers tests script per route, and which records requests.

In a test::

    with LoopbackServer() as server:            # or the ``http_server`` fixture
        server.script("/api/health", Reply(503, headers={"Retry-After": "2"}), Reply(200, json={"ok": True}))
        ...  # request server.url("/api/health")
        assert server.count("/api/health") == 2
        assert server.connections() == 1        # distinct client connections (peer addresses)

Replies are consumed in order and the last one repeats; a reply may be a function of the request
(sync or async) so the server can assert what it received. In another process (benchmarks)::

    python -m tests.support.http_server --port 0 --route /down=503 --route /ok=200

prints its port on the first line, and ``GET /_stats`` answers the counts as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from sandbox.api_server import BackgroundServer


@dataclass(frozen=True)
class Reply:
    """One scripted answer: status, a JSON or raw body, headers, a delay before answering, chunked or not."""

    status: int = 200
    json: Any = None
    body: bytes | str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    chunked: bool = False

    def response(self) -> web.Response:
        if self.json is not None:
            response = web.json_response(self.json, status=self.status, headers=dict(self.headers))
        else:
            body = self.body.encode() if isinstance(self.body, str) else self.body
            response = web.Response(status=self.status, body=body, headers=dict(self.headers))
        if self.chunked:
            response.enable_chunked_encoding()  # no Content-Length: the reader must cap while reading
        return response


Responder = Reply | Callable[[web.Request], Reply | Awaitable[Reply]]


@dataclass(frozen=True)
class Seen:
    """One request as the server received it; ``peer`` identifies the client connection."""

    method: str
    path: str
    headers: Mapping[str, str]
    peer: tuple[str, int]
    at: float


def require_headers(expected: Mapping[str, str], then: Reply, otherwise: Reply | None = None) -> Responder:
    """Return a responder answering ``then`` only when every expected header arrived (else 401)."""

    def answer(request: web.Request) -> Reply:
        if all(request.headers.get(name) == value for name, value in expected.items()):
            return then
        return otherwise or Reply(401, json={"error": "missing or wrong credentials"})

    return answer


class ScriptedApp:
    """The application: scripted routes, the request record, and ``/_stats``."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Responder]] = {}
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.app = web.Application()
        self.app.router.add_get("/_stats", self._stats)
        self.app.router.add_route("*", "/{tail:.*}", self._handle)

    def script(self, path: str, *replies: Responder) -> None:
        with self.lock:
            self.routes[path] = list(replies)

    def requests(self, path: str | None = None) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if path is None or s.path == path]

    def count(self, path: str | None = None) -> int:
        return len(self.requests(path))

    def connections(self, path: str | None = None) -> int:
        return len({s.peer for s in self.requests(path)})

    def reset(self) -> None:
        with self.lock:
            self.seen.clear()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        peer = request.transport.get_extra_info("peername") if request.transport else ("?", 0)
        with self.lock:
            self.seen.append(Seen(request.method, request.path, dict(request.headers), tuple(peer[:2]), time.time()))
            script = self.routes.get(request.path)
            step = (script.pop(0) if len(script) > 1 else script[0]) if script else Reply(404, body="no such route")
        reply = step if isinstance(step, Reply) else step(request)
        if inspect.isawaitable(reply):
            reply = await reply
        if reply.delay:
            await asyncio.sleep(reply.delay)
        return reply.response()

    async def _stats(self, request: web.Request) -> web.Response:
        paths = {s.path for s in self.requests()}
        return web.json_response(
            {p: {"requests": self.count(p), "connections": self.connections(p)} for p in sorted(paths)}
        )


class LoopbackServer(ScriptedApp):
    """A :class:`ScriptedApp` served on 127.0.0.1 (a free port) from its own thread and event loop."""

    def __init__(self, port: int = 0) -> None:
        super().__init__()
        self._server = BackgroundServer(self.app, port=port)

    @property
    def port(self) -> int:
        return self._server.port

    def url(self, path: str = "/") -> str:
        return self._server.url(path)

    def start(self) -> LoopbackServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture
def http_server() -> Iterator[LoopbackServer]:
    """A running LoopbackServer, stopped after the test."""
    with LoopbackServer() as server:
        yield server


def main(argv: list[str] | None = None) -> None:
    """Serve fixed routes (``--route /path=STATUS``) until killed; print the port first."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--route", action="append", default=[], help="/path=STATUS (repeatable)")
    args = parser.parse_args(argv)
    server = LoopbackServer(args.port)
    for route in args.route:
        path, _, status = route.partition("=")
        server.script(path, Reply(int(status), json={"status": int(status)}))
    server.start()
    print(server.port, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()


@contextlib.asynccontextmanager
async def serving_in_this_loop(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]], path: str = "/health"
) -> AsyncIterator[tuple[str, web.AppRunner]]:
    """Serve ``handler`` at ``path`` on a loopback port of the running event loop; yield its URL and runner.

    For tests that need the server's own view (``runner.server.connections``) or a handler that
    never answers; :class:`LoopbackServer` runs in a thread of its own instead.
    """
    app = web.Application()
    app.router.add_get(path, handler)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        yield f"http://127.0.0.1:{runner.addresses[0][1]}{path}", runner
    finally:
        await runner.cleanup()
