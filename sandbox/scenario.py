"""The whole sandbox of the seed's test-data setup functions, on one time scale.

``prepare()`` lays out the places (orders still pending, empty ML and partner directories) and
picks the API's port; ``start_clock()`` then starts the mock API in maintenance and the seed's
timers: order 1 ships, behaviour logs and the inventory snapshot appear, the partner file lands,
the API turns healthy and the catalog version passes 100. Until then the API refuses
connections, as an API that is down does. Scale 1 gives the seed's timings (30 s, 20 s, 40 s,
a 120 s API cycle); the demo runs at 0.25.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.api_server import SEED_CYCLE, BackgroundServer, make_app, starting_in_maintenance
from sandbox.ecommerce_db import SEED_SHIP_DELAY, ship_order_later, write_orders
from sandbox.ml_data import SEED_BEHAVIOUR_DELAY, SEED_INVENTORY_DELAY, setup_ml_data_sources
from sandbox.partner_drop import PartnerDrop

#: Seed-scale seconds until the partner's file lands (the seed gives no figure for Task 4).
PARTNER_DELAY = 60.0
#: Seed-scale seconds per catalog version: 95 at the start, past 100 after a minute.
CATALOG_STEP = 10.0


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Return True when nothing listens on ``host:port``."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """Return a port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@dataclass
class Scenario:
    """The seed's sandbox under ``root``, its API on ``api_port`` (0: any free port)."""

    root: Path
    time_scale: float = 1.0
    api_port: int = 8081
    _port: int | None = field(default=None, repr=False)
    _server: BackgroundServer | None = field(default=None, repr=False)
    _threads: list[threading.Thread | threading.Timer] = field(default_factory=list, repr=False)

    @property
    def orders_db(self) -> Path:
        return self.root / "mock-ecommerce-db"

    @property
    def ml_data(self) -> Path:
        return self.root / "ml-data"

    @property
    def partner_file(self) -> Path:
        return self.root / "partner-drop" / "acme" / "orders_20240101.csv"

    @property
    def api_url(self) -> str:
        if self._port is None:
            raise RuntimeError("the sandbox is not prepared: call prepare() first")
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_port_chosen(self) -> int:
        if self._port is None:
            raise RuntimeError("the sandbox is not prepared: call prepare() first")
        return self._port

    def environment(self) -> dict[str, str]:
        """Return the variables that point the example DAGs and conditions at this sandbox."""
        return {
            "SANDBOX_DIR": str(self.root),
            "SANDBOX_API_URL": self.api_url,
            "SANDBOX_TIME_SCALE": str(self.time_scale),
            "ML_DATA_DIR": str(self.ml_data),
        }

    def prepare(self) -> None:
        """Write the pending orders, create the empty places, choose the API's port."""
        write_orders(self.orders_db)
        (self.ml_data / "behavior").mkdir(parents=True, exist_ok=True)
        self.partner_file.parent.mkdir(parents=True, exist_ok=True)
        self._port = self.api_port if self.api_port and port_is_free(self.api_port) else free_port()

    def start_clock(self) -> None:
        """Start the API in maintenance and the seed's timers, scaled: shipping, ML sources, the delivery."""
        scale = self.time_scale
        schedule = starting_in_maintenance(SEED_CYCLE * scale, catalog_step=CATALOG_STEP * scale)
        self._server = BackgroundServer(make_app(schedule), port=self.api_port_chosen).start()
        ship = threading.Thread(target=ship_order_later, args=(self.orders_db, SEED_SHIP_DELAY * scale), daemon=True)
        ship.start()
        self._threads.append(ship)
        self._threads += setup_ml_data_sources(self.ml_data, SEED_BEHAVIOUR_DELAY * scale, SEED_INVENTORY_DELAY * scale)
        self._threads.append(
            PartnerDrop(self.partner_file, delay=PARTNER_DELAY * scale, chunks=3, chunk_pause=0.2).start()
        )

    def stop(self) -> None:
        """Stop the API and any timer that has not fired."""
        for thread in self._threads:
            if isinstance(thread, threading.Timer):
                thread.cancel()
        if self._server is not None:
            self._server.stop()
            self._server = None
