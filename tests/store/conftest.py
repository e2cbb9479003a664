"""Store fixtures: every database test runs on SQLite and on a real PostgreSQL (marked `postgres`)."""
from __future__ import annotations

import os
from contextlib import ExitStack

import psycopg
import pytest

from app.store.engine import make_engine
from app.store.migrate import upgrade
from tests.store.postgres import _libpq, machine_postgres, throwaway_cluster, throwaway_database

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway database for this session, on the machine's server or on a throwaway cluster."""
    with ExitStack() as stack:
        server = None if os.environ.get("TEST_POSTGRES") == "cluster" else machine_postgres()
        if server is None:
            server = stack.enter_context(throwaway_cluster())
        yield stack.enter_context(throwaway_database(server))


def _fresh_schema(url: str) -> None:
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """An empty database: a SQLite file, or the session's PostgreSQL database with a fresh schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url = request.getfixturevalue("postgres_url")
    _fresh_schema(url)
    return url


@pytest.fixture
def engine(database_url):
    """A migrated, empty database's engine."""
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()
