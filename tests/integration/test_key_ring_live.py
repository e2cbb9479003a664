"""Database API keys under gunicorn: each worker reloads them in the background after the fork, so
a key created or revoked works or stops within CATALOG_REFRESH_S on every worker, idle or not."""
import time
from datetime import UTC, datetime

import pytest
import requests

from app.store.engine import make_engine, writing
from app.store.keys import create_key, revoke_key
from tests.integration.servers import gunicorn, seeded_database_url

pytestmark = pytest.mark.integration
REFRESH_S = 1.0


def statuses(base: str, key: str, count: int = 12) -> list[int]:
    # New connections each time: gunicorn's workers take them in turn, so both are asked.
    return [requests.get(f"{base}/api/providers", headers={"X-API-Key": key, "Connection": "close"},
                         timeout=5).status_code for _ in range(count)]


def test_created_and_revoked_keys_take_effect_on_idle_workers_within_the_refresh(encodings_dir):
    database = seeded_database_url()
    engine = make_engine(database)
    try:
        with gunicorn(DATABASE_URL=database, AUTH_MODE="api_key", API_KEYS="ops:ops-key-0123456789abcdef",
                      CATALOG_REFRESH_S=str(REFRESH_S), WEB_CONCURRENCY="2",
                      TIKTOKEN_CACHE_DIR=str(encodings_dir)) as (base, _):
            with writing(engine) as session:
                created = create_key(session, "ci-bot", datetime.now(UTC))
            time.sleep(REFRESH_S * 2.5)   # idle: no request reaches any worker meanwhile
            assert statuses(base, created) == [200] * 12
            with writing(engine) as session:
                revoke_key(session, "ci-bot", datetime.now(UTC))
            time.sleep(REFRESH_S * 2.5)
            assert statuses(base, created) == [401] * 12
    finally:
        engine.dispose()
