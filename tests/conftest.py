"""Shared fixtures: databases (SQLite and a throwaway PostgreSQL), sessions.

Hypothesis runs few examples because every example does real elliptic-curve
work; deadlines are off because timing is measured by bench/, never asserted
in tests.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from ballot.db import make_engine, make_sessionmaker
from ballot.schema import upgrade
from tests.pg_cluster import Cluster

settings.register_profile(
    "default",
    max_examples=int(os.environ.get("PIAOJUE_HYPOTHESIS_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile("default")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server URL: $PIAOJUE_TEST_POSTGRES, else a cluster of our own."""
    given = os.environ.get("PIAOJUE_TEST_POSTGRES")
    if given:
        yield given
        return
    cluster = Cluster()
    url = cluster.start()
    try:
        yield url
    finally:
        cluster.stop()


def fresh_postgres(server_url: str) -> str:
    """A new, empty database on the server; its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh, migrated database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.sqlite'}"
    else:
        url = fresh_postgres(request.getfixturevalue("postgres_server"))
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture
def sqlite_sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """SQLite only, for tests about things other than the database."""
    engine = make_engine(f"sqlite:///{tmp_path / 'only.sqlite'}")
    upgrade(engine)
    yield make_sessionmaker(engine)
    engine.dispose()
