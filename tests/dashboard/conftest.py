"""A metadata database per test module: Airflow's schema on SQLite in the test's tmp dir."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from tests.support.metadata import metadata_engine


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return metadata_engine(tmp_path_factory.mktemp("dashboard-metadata") / "airflow.db")


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.trigger import Trigger
    from airflow.models.variable import Variable
    from airflow.models.xcom import XComModel

    with Session(engine) as session:
        yield session
        session.rollback()
        for model in (XComModel, TaskInstance, Trigger, Variable):
            session.execute(delete(model))
        session.commit()
