"""Spend fixtures: an app on a migrated database (SQLite, and PostgreSQL where marked), a fake vendor."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.store.schema import LedgerEntry
from tests.fakes.server import FakeVendorServer
from app.store.engine import make_engine
from app.store.migrate import upgrade
from tests.store.conftest import BACKENDS, _fresh_schema, database_url, engine, postgres_url  # noqa: F401  (fixtures)

__all__ = ["BACKENDS"]


@pytest.fixture
def migrated_postgres(postgres_url):  # noqa: F811  (the fixture imported above)
    """The session's PostgreSQL database, emptied and migrated, as a URL."""
    _fresh_schema(postgres_url)
    migrating = make_engine(postgres_url)
    upgrade(migrating)
    migrating.dispose()
    return postgres_url


@pytest.fixture
def fake():
    with FakeVendorServer() as server:
        yield server


@pytest.fixture
def secrets_file(tmp_path, fake):
    path = tmp_path / "secrets.yaml"
    path.write_text(f'openai: {{api_key: sk-spend-test, base_url: "{fake.url}/v1"}}\n'
                    f'groq: {{api_key: gsk-spend-test, base_url: "{fake.url}/v1"}}\n'
                    f'anthropic: {{api_key: sk-ant-spend-test, base_url: "{fake.url}"}}\n')
    return str(path)


@pytest.fixture
def spend_app(make_app, secrets_file):
    """An app on the test's migrated SQLite database, vendors answered by the fake."""
    def build(**settings):
        settings.setdefault("PROVIDER_MAX_RETRIES", 0)
        return make_app(SECRETS_FILE=secrets_file, **settings)
    return build


def ledger(database) -> list[dict]:
    """Every ledger row of an engine's database, oldest first."""
    with database.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(LedgerEntry.__table__).order_by(LedgerEntry.id))]
