"""A real local Airflow 3 stack (api-server, scheduler, dag-processor, triggerer) for e2e tests."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from cryptography.fernet import Fernet

from devstack.client import AirflowClient, ApiError
from devstack.errors import ComponentDied, StackError, StackTimeout
from devstack.process import Component, free_port, spawn, stop_all, tail

DEFAULT_COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
# Component kind -> key in /api/v2/monitor/health that reports it.
HEALTH_KEYS = {"scheduler": "scheduler", "dag-processor": "dag_processor", "triggerer": "triggerer"}
# Component kind -> the log-server port setting that a second instance of it must not share.
LOG_SERVER_PORTS = {
    "scheduler": "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT",
    "triggerer": "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT",
}


class AirflowStack(AirflowClient):
    """Runs ``airflow db migrate`` and the Airflow 3 components as subprocesses.

    Use as a context manager (or call ``start()`` / ``stop()``). All REST helpers of
    ``AirflowClient`` are available on the stack. Component logs go to ``<home>/stack-logs/``,
    task logs to ``<home>/logs/``.
    """

    def __init__(
        self,
        dags_folder: str | os.PathLike[str],
        *,
        home: str | os.PathLike[str] | None = None,
        sql_alchemy_conn: str | None = None,
        env: Mapping[str, str] | None = None,
        pythonpath: Iterable[str | os.PathLike[str]] = (),
        components: Sequence[str] = DEFAULT_COMPONENTS,
        port: int | None = None,
        keep: bool = False,
        reset_db: bool = False,
        startup_timeout: float = 240.0,
        stop_grace: float = 10.0,
        http_timeout: float = 30.0,
    ) -> None:
        self.port = port or free_port()
        super().__init__(f"http://127.0.0.1:{self.port}", http_timeout=http_timeout)
        self.dags_folder = Path(dags_folder).resolve()
        self._own_home = home is None
        self.home = Path(home).resolve() if home else Path(tempfile.mkdtemp(prefix="airflow-stack-"))
        self.logs_dir = self.home / "stack-logs"
        self.sql_alchemy_conn = sql_alchemy_conn or f"sqlite:///{self.home / 'airflow.db'}"
        self.initial_components = tuple(components)
        self.keep = keep
        self.reset_db = reset_db
        self.startup_timeout = startup_timeout
        self.stop_grace = stop_grace
        self.components: dict[str, Component] = {}
        self.startup_seconds: float | None = None
        self.env = self._build_env(env or {}, [str(Path(p).resolve()) for p in pythonpath])

    def _build_env(self, extra: Mapping[str, str], pythonpath: list[str]) -> dict[str, str]:
        """Return the environment for every subprocess (inherited AIRFLOW* variables are dropped)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        if paths := [*pythonpath, *filter(None, [env.get("PYTHONPATH")])]:
            env["PYTHONPATH"] = os.pathsep.join(paths)
        env["PYTHONUNBUFFERED"] = "1"
        url = f"http://127.0.0.1:{self.port}"  # not "localhost": the api-server binds 127.0.0.1 only
        env.update(
            {
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.sql_alchemy_conn,
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__PARALLELISM": "8",  # LocalExecutor forks this many workers up front
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
                "AIRFLOW__CORE__AUTH_MANAGER": (
                    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
                ),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
                # Shared secrets: every component must agree (JWTs for task runners, log tokens).
                "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),  # >= 64 bytes: no HMAC warning
                "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
                "AIRFLOW__API__BASE_URL": f"{url}/",
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(self.port),
                "AIRFLOW__API__WORKERS": "1",
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "3",
                "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "10",
                "AIRFLOW__SCHEDULER__TRIGGER_TIMEOUT_CHECK_INTERVAL": "2",
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__LOGGING__COLORED_CONSOLE_LOG": "False",
            }
        )
        env.update(extra)
        return env

    # -- lifecycle -------------------------------------------------------------------------------

    def __enter__(self) -> AirflowStack:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is not None:
            self.keep = True
        self.stop()

    def start(self) -> AirflowStack:
        """Migrate the DB, start the components and wait until healthy; return self.

        Raises ``StackError`` (``ComponentDied`` / ``StackTimeout``) with log tails; everything
        started so far is stopped first.
        """
        began = time.monotonic()
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.airflow("db", *(["reset", "--yes"] if self.reset_db else ["migrate"]), log_name="db")
            for kind in self.initial_components:
                self.start_component(kind)
            if any(c.kind == "api-server" for c in self.components.values()):
                # Warm up while the scheduler, dag-processor and triggerer are still booting.
                self.wait_healthy(self.startup_timeout - (time.monotonic() - began), only_db=True)
                self.warm_up_execution_api()
                self.authenticate_if_asked()
            self.wait_healthy(self.startup_timeout - (time.monotonic() - began))
        except BaseException:
            self.keep = True
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - began
        return self

    def stop(self) -> None:
        """Stop every component (SIGTERM, SIGKILL after the grace period); delete a temp home."""
        self.close()  # an open keep-alive connection delays the api-server's shutdown
        # The api-server goes last: task supervisors report their final state through it.
        comps = list(self.components.values())
        stop_all([c for c in comps if c.kind != "api-server"], grace=self.stop_grace)
        # It is stateless, and its interpreter can spend seconds in final GC after uvicorn stops.
        stop_all([c for c in comps if c.kind == "api-server"], grace=min(self.stop_grace, 3.0))
        if self._own_home and not self.keep:
            shutil.rmtree(self.home, ignore_errors=True)
        elif self.home.exists():
            print(f"[devstack] Airflow logs kept in {self.logs_dir} and {self.home / 'logs'}", file=sys.stderr)

    def airflow(self, *args: str, log_name: str | None = None, timeout: float = 300.0) -> str:
        """Run ``airflow <args>`` with the stack's environment; return its output.

        Raises ``StackError`` with the output tail if it fails or times out.
        """
        argv = [sys.executable, "-m", "airflow", *args]
        try:
            proc = subprocess.run(
                argv, env=self.env, cwd=self.home, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired as err:
            raise StackTimeout(f"{' '.join(args)} did not finish in {timeout}s") from err
        output = proc.stdout + proc.stderr
        if log_name:
            (self.logs_dir / f"{log_name}.log").write_text(output)
        if proc.returncode != 0:
            last = "\n".join(output.splitlines()[-40:])
            raise StackError(f"`airflow {' '.join(args)}` exited {proc.returncode}:\n{last}")
        return output

    # -- components ------------------------------------------------------------------------------

    def start_component(
        self, kind: str, name: str | None = None, *, env: Mapping[str, str] | None = None, args: Sequence[str] = ()
    ) -> Component:
        """Start ``airflow <kind>`` as component ``name`` (default: kind); return it.

        A second scheduler/triggerer (name != kind) gets its own log-server port.
        """
        name = name or kind
        if name in self.components and self.components[name].running():
            raise StackError(f"component {name!r} is already running (pid {self.components[name].pid})")
        comp_env = dict(self.env)
        if name != kind and kind in LOG_SERVER_PORTS:
            comp_env[LOG_SERVER_PORTS[kind]] = str(free_port())
        comp_env.update(env or {})
        extra = ["--host", "127.0.0.1", "--port", str(self.port)] if kind == "api-server" else []
        argv = [sys.executable, "-m", "airflow", kind, *extra, *args]
        comp = spawn(name, kind, argv, comp_env, self.logs_dir / f"{name}.log", cwd=self.home)
        self.components[name] = comp
        return comp

    def component(self, name: str) -> Component:
        """Return the component called ``name``; raise ``KeyError`` if there is none."""
        return self.components[name]

    def pid_of(self, name: str) -> int:
        """Return the main pid of component ``name``."""
        return self.components[name].pid

    def kill(self, name: str, sig: int = signal.SIGKILL, *, tree: bool = True) -> None:
        """Send ``sig`` to a component (its whole process tree if ``tree``); it may then exit."""
        comp = self.components[name]
        comp.expected_exit = True
        if tree:
            comp.signal_tree(sig)
        else:
            os.kill(comp.pid, sig)

    def stop_component(self, name: str, grace: float | None = None) -> int | None:
        """Stop one component like ``stop()`` does; return its exit code."""
        comp = self.components[name]
        comp.expected_exit = True
        stop_all([comp], grace=self.stop_grace if grace is None else grace)
        return comp.popen.returncode

    def check_alive(self) -> None:
        """Raise ``ComponentDied`` (with its log tail) if a component exited unexpectedly."""
        for comp in self.components.values():
            if not comp.expected_exit and not comp.running():
                raise ComponentDied(
                    f"{comp.name} exited with code {comp.popen.returncode}; log {comp.log_path}:\n"
                    f"{tail(comp.log_path, 60)}"
                )

    def wait_healthy(self, timeout: float = 120.0, *, only_db: bool = False) -> dict[str, Any]:
        """Wait until the DB and every running scheduler/dag-processor/triggerer report healthy.

        With ``only_db``, wait just for the api-server to answer with a healthy metadatabase.
        Returns the health JSON; raises ``ComponentDied`` or ``StackTimeout`` with log tails.
        """
        deadline = time.monotonic() + timeout
        health: dict[str, Any] | str = "no answer yet"
        while True:
            self.check_alive()
            wanted = {"metadatabase"} | {
                HEALTH_KEYS[c.kind]
                for c in self.components.values()
                if c.kind in HEALTH_KEYS and c.running() and not only_db
            }
            try:
                health = self.health()
                if all((health.get(key) or {}).get("status") == "healthy" for key in wanted):
                    return health
            except (httpx.HTTPError, ApiError, ValueError) as err:  # e.g. refused while booting
                health = repr(err)
            if time.monotonic() > deadline:
                raise StackTimeout(f"stack not healthy after {timeout:.0f}s: {health}\n{self.log_tails()}")
            time.sleep(1.0)

    def warm_up_execution_api(self, timeout: float = 120.0) -> None:
        """Make the api-server build its execution API app (4-20 s on first use) before a task needs it."""
        # A non-Bearer header shadows the UI token that the all-admins middleware appends, which
        # the execution API's JWT reissue middleware would reject with a noisy traceback.
        headers = {"Authorization": "Basic warm-up"}
        self.request("GET", f"{self.base_url}/execution/health", timeout=timeout, headers=headers)

    # -- diagnostics -----------------------------------------------------------------------------

    def log_path(self, name: str) -> Path:
        """Return the stdout/stderr log file of component ``name``."""
        return self.logs_dir / f"{name}.log"

    def log_tails(self, lines: int = 40, names: Iterable[str] | None = None) -> str:
        """Return the last ``lines`` of each component's log, with headers."""
        chosen = list(names) if names is not None else list(self.components)
        parts = [f"----- {n} ({self.log_path(n)}) -----\n{tail(self.log_path(n), lines)}" for n in chosen]
        return "\n".join(parts)

    def __repr__(self) -> str:
        return f"AirflowStack(url={self.base_url!r}, home={str(self.home)!r}, components={list(self.components)})"
