"""A vendor that drips its answer a byte at a time, through real gunicorn: threads go back by the deadline."""
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.integration.servers import gunicorn

pytestmark = pytest.mark.integration
DRIPPING, HEALTHY = "openai/gpt-6.1-sol", "anthropic/claude-haiku-4-5"
DEADLINE = 2.0


@pytest.fixture
def service(fake, tmp_path, encodings_dir):
    fake.reset()
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(f'openai: {{api_key: sk-drip-test, base_url: "{fake.url}/v1"}}\n'
                       f'anthropic: {{api_key: sk-ant-drip-test, base_url: "{fake.url}"}}\n')
    # One worker with 16 threads: the 16 requests below run at once. The pool and the per-vendor
    # cap keep their defaults (16 x 10 threads; 16 per vendor).
    with gunicorn(SECRETS_FILE=str(secrets), TIKTOKEN_CACHE_DIR=str(encodings_dir), WEB_CONCURRENCY="1",
                  GUNICORN_THREADS="16", PROVIDER_TIMEOUT=str(DEADLINE), PROVIDER_MAX_RETRIES="0") as (base, _):
        yield base


def burst(base, count=16):
    def one(_):
        response = requests.post(f"{base}/api/send_prompt", timeout=15,
                                 json={"prompt": "hi", "model_names": [DRIPPING, HEALTHY]})
        assert response.status_code == 200, response.text
        return {item["id"]: item for item in response.json()["data"]}
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_a_dripping_vendor_holds_no_thread_past_the_deadline(fake, service):
    catalog = {m["id"]: m["api_model"] for m in requests.get(f"{service}/api/models", timeout=5).json()["data"]}
    # A byte every 50 ms, always inside the read timeout: the whole answer would take some 30 s.
    fake.behave(catalog[DRIPPING], drip=0.05)
    started = time.monotonic()
    first = burst(service)
    assert all(found[HEALTHY]["success"] for found in first)          # the healthy vendor, every time
    assert {found[DRIPPING]["error"]["type"] for found in first} == {"timeout"}
    assert time.monotonic() - started < DEADLINE + 1
    fake.behave(catalog[DRIPPING])   # the vendor recovers
    time.sleep(max(0.0, started + DEADLINE + 1.5 - time.monotonic()))
    second = burst(service)
    # Had the dripping calls kept their threads, the vendor's 16 slots would still be taken
    # (vendor_busy) and the pool could refuse (503).
    assert [found[DRIPPING]["error"] for found in second] == [None] * 16
    assert all(found[DRIPPING]["success"] and found[HEALTHY]["success"] for found in second)
