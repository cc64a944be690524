"""The dashboard's FastAPI app, mounted by the api-server under :data:`dashboard.plugin.URL_PREFIX`.

Every route needs the same credential as the Airflow UI: the ``_token`` cookie the browser holds
after logging in, or a ``Bearer`` token (Airflow's own ``get_user``). The page sends a browser
without one to Airflow's login, and shows only the DAGs the auth manager lets the user read.
Routes are sync (run in FastAPI's thread pool) so database reads never block the server's loop.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import quote

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
from airflow.api_fastapi.core_api.security import bearer_scheme, get_user
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.orm import Session

from dashboard.model import TaskRef
from dashboard.page import build_page
from dashboard.queries import Filters, finished_waits, live_waits


def _session() -> Iterator[Session]:
    from airflow.utils.session import create_session

    with create_session() as session:
        yield session


async def _user_or_none(
    request: Request, bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
) -> BaseUser | None:
    """Return the logged-in user, or None when the request carries no valid credential."""
    try:
        return await get_user(request, None, bearer)
    except HTTPException as error:
        if error.status_code in (401, 403):
            return None
        raise


def _filters(
    dag_id: Annotated[str | None, Query()] = None,
    kind: Annotated[str | None, Query()] = None,
    outcome: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> Filters:
    return Filters(dag_id=dag_id or None, kind=kind or None, outcome=outcome or None, limit=limit)


SessionDep = Annotated[Session, Depends(_session)]
FiltersDep = Annotated[Filters, Depends(_filters)]


def _task_fields(task: TaskRef) -> dict[str, Any]:
    return {**vars(task), "link": task.link}


def readable_dags(user: BaseUser, session: Session) -> set[str]:
    """Return the DAG ids the auth manager lets ``user`` read."""
    return set(get_auth_manager().get_authorized_dag_ids(user=user, method="GET", session=session))


def create_app() -> FastAPI:
    """Return the app: ``/`` the page, ``/api/now`` and ``/api/history`` the same data as JSON."""
    app = FastAPI(title="Sensor dashboard", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/", response_class=HTMLResponse)
    def page(
        request: Request,
        user: Annotated[BaseUser | None, Depends(_user_or_none)],
        session: SessionDep,
        filters: FiltersDep,
    ) -> Response:
        if user is None:
            back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/auth/login?next={quote(back, safe='')}", status_code=307)
        html, _ = build_page(session, readable_dags(user, session), filters)
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    @app.get("/api/now")
    def now(
        user: Annotated[BaseUser, Depends(get_user)], session: SessionDep, filters: FiltersDep
    ) -> list[dict[str, Any]]:
        moment = time.time()
        return [
            {
                **_task_fields(w.task),
                "waited": round(w.waited(moment), 3),
                "progress": None if w.snapshot is None else vars(w.snapshot),
            }
            for w in live_waits(session, readable_dags(user, session), filters)
        ]

    @app.get("/api/history")
    def history(
        user: Annotated[BaseUser, Depends(get_user)], session: SessionDep, filters: FiltersDep
    ) -> list[dict[str, Any]]:
        return [
            {
                **_task_fields(w.task),
                "outcome": w.outcome,
                "waited": round(w.waited, 3),
                "attempts": w.attempts,
                "detection_gap": w.detection_gap,
                "interval": w.interval,
                "success_rate": w.success_rate,
                "ready": dict(w.ready),
            }
            for w in finished_waits(session, readable_dags(user, session), filters)
        ]

    return app
