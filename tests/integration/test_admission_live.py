"""Bounded admission through real gunicorn: a vendor that never answers freezes nothing.

One worker; every request thread but a few waits on a vendor that never answers. /health
still answers at once, a call to a healthy vendor succeeds, calls beyond the threads and the
short queue get 503 with Retry-After at once (our envelope; OpenAI's under /v1), and a request
that waited past ADMISSION_WAIT_S is refused without any vendor call.
"""
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.integration.servers import gunicorn

pytestmark = pytest.mark.integration
HANGING, HEALTHY = "openai/gpt-6.1-sol", "anthropic/claude-haiku-4-5"
THREADS, HELD, DEADLINE, WAIT, QUEUE = 48, 40, 8.0, 1.5, 2


@pytest.fixture
def service(fake, tmp_path, encodings_dir):
    fake.reset()
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(f'openai: {{api_key: sk-hang-test, base_url: "{fake.url}/v1"}}\n'
                       f'anthropic: {{api_key: sk-ant-hang-test, base_url: "{fake.url}"}}\n')
    with gunicorn(SECRETS_FILE=str(secrets), TIKTOKEN_CACHE_DIR=str(encodings_dir), WEB_CONCURRENCY="1",
                  GUNICORN_THREADS=str(THREADS), PROVIDER_TIMEOUT=str(DEADLINE), PROVIDER_MAX_RETRIES="0",
                  PROVIDER_MAX_CONCURRENCY="64", ADMISSION_WAIT_S=str(WAIT), ADMISSION_QUEUE=str(QUEUE)) as (base, _):
        yield base


def call(base, model, path="/api/send_prompt"):
    started = time.monotonic()
    body = ({"prompt": "hi", "model_names": [model]} if path == "/api/send_prompt"
            else {"model": model, "messages": [{"role": "user", "content": "hi"}]})
    response = requests.post(f"{base}{path}", json=body, timeout=30)
    return response, time.monotonic() - started


def health_seconds(base, times=5):
    def once():
        started = time.monotonic()
        assert requests.get(f"{base}/health", timeout=10).status_code == 200
        return time.monotonic() - started
    return statistics.median(once() for _ in range(times))


def vendor_calls(fake, api_model):
    return sum(1 for r in fake.requests if r.json().get("model") == api_model)


def wait_for_calls(fake, api_model, count, timeout=10.0):
    deadline = time.monotonic() + timeout
    while vendor_calls(fake, api_model) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return vendor_calls(fake, api_model)


def test_a_hanging_vendor_freezes_nothing(fake, service):
    catalog = {m["id"]: m["api_model"] for m in requests.get(f"{service}/api/models", timeout=5).json()["data"]}
    hanging = catalog[HANGING]
    fake.behave(hanging, hang=True)
    with ThreadPoolExecutor(THREADS + 20) as pool:
        held = [pool.submit(call, service, HANGING) for _ in range(HELD)]
        assert wait_for_calls(fake, hanging, HELD) == HELD
        # Threads are left: the healthy vendor is answered while the others hang.
        healthy, _ = call(service, HEALTHY)
        assert healthy.status_code == 200 and healthy.json()["data"][0]["success"], healthy.text
        # Take every other thread too, then 20 more (the queue holds 2 of them for WAIT seconds).
        rest = [pool.submit(call, service, HANGING) for _ in range(THREADS - HELD)]
        assert wait_for_calls(fake, hanging, THREADS) == THREADS
        over = [pool.submit(call, service, HANGING) for _ in range(18)] + [
            pool.submit(call, service, HANGING, "/v1/chat/completions") for _ in range(2)]
        # Every request thread waits on the vendor: /health is still answered at once.
        assert health_seconds(service) < 0.1
        refused = [future.result() for future in over]
        assert all(response.status_code == 503 for response, _ in refused), [r.text for r, _ in refused]
        assert all(response.headers["Retry-After"] == "1" for response, _ in refused)
        assert all(seconds < WAIT + 1.0 for _, seconds in refused)
        # Beyond the queue: at once (before any queued request could reach its WAIT).
        assert sum(seconds < WAIT for _, seconds in refused) >= 20 - QUEUE, sorted(s for _, s in refused)
        envelopes = [response.json() for response, _ in refused]
        assert envelopes[0]["success"] is False and envelopes[0]["error"]["code"] == 503
        assert envelopes[-1]["error"]["type"] == "server_error" and envelopes[-1]["error"]["code"] == "overloaded"
        # The held calls end at their deadline; the refused ones never reached the vendor, not even
        # once threads were free again.
        for future in held + rest:
            response, _ = future.result()
            assert response.status_code == 200 and response.json()["data"][0]["error"]["type"] == "timeout"
    time.sleep(0.5)
    assert vendor_calls(fake, hanging) == THREADS
    fake.behave(hanging)
    again, _ = call(service, HANGING)
    assert again.status_code == 200 and again.json()["data"][0]["success"]


def test_ready_is_answered_when_every_thread_is_busy(fake, service):
    catalog = {m["id"]: m["api_model"] for m in requests.get(f"{service}/api/models", timeout=5).json()["data"]}
    fake.behave(catalog[HANGING], hang=True)
    assert requests.get(f"{service}/ready", timeout=10).status_code == 200   # the first probe has answered
    with ThreadPoolExecutor(THREADS) as pool:
        held = [pool.submit(call, service, HANGING) for _ in range(THREADS)]
        assert wait_for_calls(fake, catalog[HANGING], THREADS) == THREADS
        started = time.monotonic()
        ready = requests.get(f"{service}/ready", timeout=10)
        assert ready.status_code == 200 and time.monotonic() - started < 0.1
        for future in held:
            future.result()
