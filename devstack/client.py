"""A small client for the Airflow 3 REST API (``/api/v2``) with test-friendly wait helpers."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

import httpx

from devstack.errors import StackError, StackTimeout, UnexpectedState

TERMINAL_TASK_STATES = frozenset({"success", "failed", "skipped", "upstream_failed", "removed"})
TERMINAL_RUN_STATES = frozenset({"success", "failed"})
# Context keys that Airflow adds to every task log record; dropped by ``format_log``.
LOG_CONTEXT_KEYS = frozenset(
    {"ti_id", "dag_id", "run_id", "task_id", "map_index", "try_number", "filename", "lineno", "loc"}
)
POOL_FIELDS = (
    "slots",
    "occupied_slots",
    "running_slots",
    "queued_slots",
    "scheduled_slots",
    "deferred_slots",
    "open_slots",
)


class ApiError(StackError):
    """The REST API answered with an unexpected status code."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        req = response.request
        super().__init__(f"{req.method} {req.url} -> {response.status_code}: {response.text[:2000]}")


def _q(part: str) -> str:
    return quote(part, safe="")


def _states(states: str | Iterable[str]) -> frozenset[str]:
    return frozenset([states] if isinstance(states, str) else states)


def format_log(content: list[Any]) -> str:
    """Return structured log records (dicts from the logs endpoint) as plain text lines."""
    lines = []
    for rec in content:
        if not isinstance(rec, dict):
            lines.append(str(rec))
            continue
        rec = dict(rec)
        parts = [str(rec.pop(k)) for k in ("timestamp", "level", "logger") if rec.get(k) is not None]
        event = str(rec.pop("event", ""))
        extra = " ".join(f"{k}={v}" for k, v in rec.items() if v is not None and k not in LOG_CONTEXT_KEYS)
        lines.append(" ".join([*parts, event, extra]).rstrip())
    return "\n".join(lines)


class AirflowClient:
    """REST helpers against one api-server; every wait raises ``StackTimeout`` with a history."""

    def __init__(self, base_url: str, *, token: str | None = None, http_timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=f"{self.base_url}/api/v2", headers=headers, timeout=http_timeout)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.http.close()

    def authenticate_if_asked(self) -> None:
        """Send a token with every request if the api-server refuses requests without one.

        With ``[core] simple_auth_manager_all_admins``, Airflow 3.3 lets every request in as an
        admin; 3.1 and 3.2 still want a token, which that setting hands out at ``GET /auth/token``.
        """
        if self.http.get("/dags", params={"limit": 1}).status_code != 401:
            return
        response = self.http.get(f"{self.base_url}/auth/token")
        if response.status_code == 403:
            return  # a stack with real users (all_admins off): its test logs in with a password itself
        if response.status_code != 201:
            raise ApiError(response)
        self.http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"

    def check_alive(self) -> None:
        """Hook called in every wait loop; the stack raises ``ComponentDied`` here."""

    def request(self, method: str, path: str, *, ok: Iterable[int] = (200,), **kwargs: Any) -> httpx.Response:
        """Send a request to ``/api/v2{path}``; return the response, raise ``ApiError`` if not ``ok``."""
        response = self.http.request(method, path, **kwargs)
        if response.status_code not in set(ok):
            raise ApiError(response)
        return response

    def health(self) -> dict[str, Any]:
        """Return ``/api/v2/monitor/health`` (status per component: metadatabase, scheduler, ...)."""
        result: dict[str, Any] = self.request("GET", "/monitor/health").json()
        return result

    # -- DAGs and runs ---------------------------------------------------------------------------

    def get_dag(self, dag_id: str) -> dict[str, Any] | None:
        """Return the DAG's JSON, or None if it is not (yet) in the database."""
        response = self.request("GET", f"/dags/{_q(dag_id)}", ok=(200, 404))
        return response.json() if response.status_code == 200 else None

    def import_errors(self) -> list[dict[str, Any]]:
        """Return the DAG import errors recorded by the dag-processor."""
        errors: list[dict[str, Any]] = self.request("GET", "/importErrors").json()["import_errors"]
        return errors

    def wait_for_dag(self, dag_id: str, timeout: float = 120.0) -> dict[str, Any]:
        """Wait until ``dag_id`` is parsed and unpaused; return its JSON, raise ``StackTimeout``."""
        deadline = time.monotonic() + timeout
        while (dag := self.get_dag(dag_id)) is None:
            self.check_alive()
            if time.monotonic() > deadline:
                errors = "\n".join(f"{e.get('filename')}: {e.get('stack_trace')}" for e in self.import_errors())
                raise StackTimeout(f"DAG {dag_id!r} not parsed after {timeout}s; import errors:\n{errors or 'none'}")
            time.sleep(0.5)
        if dag.get("is_paused"):
            dag = self.request("PATCH", f"/dags/{_q(dag_id)}", json={"is_paused": False}).json()
        return dag

    def trigger_dag(self, dag_id: str, conf: dict[str, Any] | None = None, run_id: str | None = None) -> str:
        """Create a manual run of ``dag_id`` now; return its run_id."""
        body: dict[str, Any] = {"logical_date": None, "conf": conf or {}}
        if run_id:
            body["dag_run_id"] = run_id
        response = self.request("POST", f"/dags/{_q(dag_id)}/dagRuns", json=body)
        new_run_id: str = response.json()["dag_run_id"]
        return new_run_id

    def dag_run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        """Return the DAG run's JSON (``state``, ``start_date``, ``end_date``, ``conf``, ...)."""
        run: dict[str, Any] = self.request("GET", f"/dags/{_q(dag_id)}/dagRuns/{_q(run_id)}").json()
        return run

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str | None]:
        """Return {task_id: state} for every task instance of the run, paging by 100 (the API's cap)."""
        path, offset = f"/dags/{_q(dag_id)}/dagRuns/{_q(run_id)}/taskInstances", 0
        states: dict[str, str | None] = {}
        while page := self.request("GET", path, params={"limit": 100, "offset": offset}).json()["task_instances"]:
            states.update((ti["task_id"], ti["state"]) for ti in page)
            offset += len(page)
        return states

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 300.0) -> str:
        """Wait until the run is success/failed; return that state, raise ``StackTimeout``."""
        history: list[tuple[float, str]] = []
        start = time.monotonic()
        while True:
            state = self.dag_run(dag_id, run_id)["state"]
            if not history or history[-1][1] != state:
                history.append((round(time.monotonic() - start, 1), state))
            if state in TERMINAL_RUN_STATES:
                return str(state)
            self.check_alive()
            if time.monotonic() - start > timeout:
                raise StackTimeout(
                    f"run {dag_id}/{run_id} not finished after {timeout}s; run states {history}; "
                    f"task states {self.task_states(dag_id, run_id)}"
                )
            time.sleep(0.5)

    # -- task instances --------------------------------------------------------------------------

    def task_instance(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> dict[str, Any] | None:
        """Return the task instance JSON, or None if it does not exist yet."""
        path = f"/dags/{_q(dag_id)}/dagRuns/{_q(run_id)}/taskInstances/{_q(task_id)}"
        if map_index >= 0:
            path += f"/{map_index}"
        response = self.request("GET", path, ok=(200, 404))
        return response.json() if response.status_code == 200 else None

    def task_state(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> str | None:
        """Return the task instance's state (None if not yet created or not yet scheduled)."""
        ti = self.task_instance(dag_id, run_id, task_id, map_index)
        return None if ti is None else ti["state"]

    def wait_for_task_state(
        self,
        dag_id: str,
        run_id: str,
        task_id: str,
        states: str | Iterable[str],
        timeout: float = 120.0,
        *,
        map_index: int = -1,
        poll: float = 0.25,
    ) -> str:
        """Wait until the task is in one of ``states``; return it.

        Raises ``StackTimeout`` (with the state history) on timeout, or ``UnexpectedState`` at once
        if the task reaches a terminal state that is not wanted.
        """
        wanted = _states(states)
        history: list[tuple[float, str | None]] = []
        start = time.monotonic()
        while True:
            state = self.task_state(dag_id, run_id, task_id, map_index)
            if not history or history[-1][1] != state:
                history.append((round(time.monotonic() - start, 2), state))
            if state in wanted:
                return str(state)
            where = f"task {dag_id}/{run_id}/{task_id}"
            if state in TERMINAL_TASK_STATES:
                raise UnexpectedState(f"{where} ended {state!r}, wanted {sorted(wanted)}; history {history}")
            self.check_alive()
            if time.monotonic() - start > timeout:
                raise StackTimeout(f"{where} not in {sorted(wanted)} after {timeout}s; history {history}")
            time.sleep(poll)

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value", map_index: int = -1) -> Any:
        """Return the XCom value, deserialised from JSON; raise ``ApiError`` (404) if there is none."""
        path = f"/dags/{_q(dag_id)}/dagRuns/{_q(run_id)}/taskInstances/{_q(task_id)}/xcomEntries/{_q(key)}"
        value = self.request("GET", path, params={"map_index": map_index}).json()["value"]
        # The endpoint returns the stored JSON; older rows may hold it as an encoded string.
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def task_log(self, dag_id: str, run_id: str, task_id: str, try_number: int = 1, map_index: int = -1) -> str:
        """Return the task try's log as text (one line per structured record)."""
        path = f"/dags/{_q(dag_id)}/dagRuns/{_q(run_id)}/taskInstances/{_q(task_id)}/logs/{try_number}"
        params = {"map_index": map_index, "full_content": True}
        body = self.request("GET", path, params=params, headers={"Accept": "application/json"}).json()
        return format_log(body["content"])

    # -- pools, variables, connections -----------------------------------------------------------

    def pool_slots(self, pool: str = "default_pool") -> dict[str, int]:
        """Return the pool's slot counts: slots, occupied/running/queued/scheduled/deferred/open_slots.

        Counts cover every task in the pool, from any DAG run of the stack.
        """
        body = self.request("GET", f"/pools/{_q(pool)}").json()
        return {k: int(body[k]) for k in POOL_FIELDS}

    def own_pool_slots(self, dag_id: str, run_id: str, task_ids: Iterable[str]) -> dict[str, int]:
        """Return the counts of the one pool ``task_ids`` run in (``UnexpectedState`` unless all deferred).

        In a pool of their own, running 0 and deferred ``len(task_ids)`` say they hold no worker slot."""
        tasks, pools = list(task_ids), set()
        for task_id in tasks:
            ti = self.task_instance(dag_id, run_id, task_id)
            if ti is None or ti["state"] != "deferred":
                raise UnexpectedState(f"task {dag_id}/{run_id}/{task_id} is not deferred: {ti and ti['state']}")
            pools.add(ti["pool"])
        if len(pools) != 1:
            raise UnexpectedState(f"tasks {tasks} run in pools {sorted(pools)}, not one of their own")
        return self.pool_slots(pools.pop())

    def create_pool(self, name: str, slots: int, *, include_deferred: bool = False) -> None:
        """Create or replace a pool (a test DAG's own pool isolates its ``pool_slots`` counts)."""
        body = {"name": name, "slots": slots, "include_deferred": include_deferred}
        if self.request("PATCH", f"/pools/{_q(name)}", json=body, ok=(200, 404)).status_code == 404:
            self.request("POST", "/pools", json=body, ok=(201,))

    def set_variable(self, key: str, value: Any, description: str | None = None) -> None:
        """Create or replace a Variable (non-string values are stored JSON-encoded)."""
        body = {"key": key, "value": value, "description": description}
        # PATCH first: a POST of an existing key logs an IntegrityError in the api-server.
        if self.request("PATCH", f"/variables/{_q(key)}", json=body, ok=(200, 404)).status_code == 404:
            self.request("POST", "/variables", json=body, ok=(201,))

    def get_variable(self, key: str) -> str | None:
        """Return the Variable's stored string, or None if it does not exist."""
        response = self.request("GET", f"/variables/{_q(key)}", ok=(200, 404))
        return response.json()["value"] if response.status_code == 200 else None

    def delete_variable(self, key: str) -> None:
        """Delete a Variable (no error if it does not exist)."""
        self.request("DELETE", f"/variables/{_q(key)}", ok=(204, 404))

    def create_connection(
        self,
        conn_id: str,
        conn_type: str,
        *,
        host: str | None = None,
        login: str | None = None,
        password: str | None = None,
        port: int | None = None,
        schema: str | None = None,
        extra: dict[str, Any] | str | None = None,
        description: str | None = None,
    ) -> None:
        """Create or replace a Connection; ``extra`` may be a dict (JSON-encoded here) or a string."""
        body = {
            "connection_id": conn_id,
            "conn_type": conn_type,
            "host": host,
            "login": login,
            "password": password,
            "port": port,
            "schema": schema,
            "extra": json.dumps(extra) if isinstance(extra, dict) else extra,
            "description": description,
        }
        if self.request("PATCH", f"/connections/{_q(conn_id)}", json=body, ok=(200, 404)).status_code == 404:
            self.request("POST", "/connections", json=body, ok=(201,))

    def delete_connection(self, conn_id: str) -> None:
        """Delete a Connection (no error if it does not exist)."""
        self.request("DELETE", f"/connections/{_q(conn_id)}", ok=(204, 404))
