"""A PostgreSQL that accepts TCP but stops answering, through real gunicorn: answers within seconds.

A proxy on loopback stands between gunicorn and PostgreSQL and goes silent: send_prompt with a
budget answers 503 within 5 s, /ready within 1 s (degraded), and both recover by themselves
once the database answers again.
"""
import time

import pytest
import requests
from sqlalchemy.engine import make_url

from tests.integration.servers import gunicorn
from tests.integration.tcp_proxy import SilentableProxy
from tests.spend.conftest import migrated_postgres, postgres_url  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
BODY = {"prompt": "Say hello", "model_names": ["openai/gpt-6.1-sol"], "max_tokens": 20}


def timed(method, url, **kwargs):
    started = time.monotonic()
    response = method(url, timeout=30, **kwargs)
    return response, time.monotonic() - started


def test_a_silent_database_gives_503_within_seconds_and_recovers(fake, migrated_postgres, tmp_path,
                                                                 encodings_dir):
    fake.reset()
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(f'openai: {{api_key: sk-db-test, base_url: "{fake.url}/v1"}}\n')
    real = make_url(migrated_postgres)
    with SilentableProxy((real.host, real.port)) as proxy:
        url = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        with gunicorn(SECRETS_FILE=str(secrets), TIKTOKEN_CACHE_DIR=str(encodings_dir), DATABASE_URL=url,
                      BUDGET_DAILY_USD="5", WEB_CONCURRENCY="1", PROVIDER_MAX_RETRIES="0") as (base, _):
            answered, _ = timed(requests.post, f"{base}/api/send_prompt", json=BODY)
            assert answered.status_code == 200 and answered.json()["data"][0]["recorded"] is True
            proxy.silent = True
            refused, seconds = timed(requests.post, f"{base}/api/send_prompt", json=BODY)
            assert refused.status_code == 503 and seconds < 5, (refused.status_code, seconds)
            assert refused.headers["Retry-After"] and refused.json()["success"] is False
            for _ in range(6):   # the probe runs in the background; /ready answers from its last finding
                ready, seconds = timed(requests.get, f"{base}/ready")
                assert ready.status_code == 200 and seconds < 1, seconds
                time.sleep(1)
            assert ready.json()["checks"]["database"] == "degraded"
            again, seconds = timed(requests.post, f"{base}/api/send_prompt", json=BODY)
            assert again.status_code == 503 and seconds < 5
            calls_while_silent = len(fake.requests)
            proxy.silent = False
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                answered, _ = timed(requests.post, f"{base}/api/send_prompt", json=BODY)
                if answered.status_code == 200:
                    break
                time.sleep(0.5)
            assert answered.status_code == 200 and answered.json()["data"][0]["recorded"] is True
            assert calls_while_silent == 1   # the refused calls reached no vendor
            deadline = time.monotonic() + 12
            while requests.get(f"{base}/ready", timeout=5).json()["checks"]["database"] != "ok":
                assert time.monotonic() < deadline
                time.sleep(0.5)
