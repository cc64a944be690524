"""An API whose every endpoint turns healthy right after its first answer: the fastest wake-up there is.

``GET /wake/<name>`` answers 503 the first time ``<name>`` is asked (the sensor's check in the
worker, just before it defers) and 200 ``{"status": "healthy"}`` from then on, so the trigger's
first check, moments after the deferral, is met. This is the case that exposes Airflow's
defer-resume race (see ``triggers/settle.py``). ``reset()`` makes every endpoint unhealthy again.
"""

from __future__ import annotations

import threading
from collections import Counter

from aiohttp import web


class WakeApi:
    """The app plus what it answered: ``asked[name]`` counts requests per endpoint."""

    def __init__(self) -> None:
        self.asked: Counter[str] = Counter()
        self._lock = threading.Lock()  # the app runs in a server thread; reset() comes from the test
        self.app = web.Application()
        self.app.router.add_get("/wake/{name}", self._wake)

    def reset(self) -> None:
        """Make every endpoint answer 503 once more before it turns healthy."""
        with self._lock:
            self.asked.clear()

    async def _wake(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        with self._lock:
            self.asked[name] += 1
            first = self.asked[name] == 1
        if first:
            return web.json_response({"status": "starting"}, status=503)
        return web.json_response({"status": "healthy"})
