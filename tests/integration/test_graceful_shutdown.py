"""Graceful shutdown under real gunicorn: drain (readiness fails), SIGTERM, finish, record, exit 0.

What Kubernetes does to a pod: the preStop hook creates DRAIN_FILE and waits (/ready answers 503,
so the pod leaves the load balancer while it still serves), then SIGTERM: the master closes its
listeners and each worker finishes the requests it holds within GRACEFUL_TIMEOUT.
"""
from __future__ import annotations

import signal
import threading
import time

import pytest
import requests
from sqlalchemy import select

from app.store.engine import make_engine
from app.store.schema import LedgerEntry
from tests.integration.servers import gunicorn, seeded_database_url

pytestmark = pytest.mark.integration
SOL = "openai/gpt-6.1-sol"
PROVIDER_TIMEOUT = 3
GRACE = PROVIDER_TIMEOUT + 15   # GRACEFUL_TIMEOUT's default


@pytest.fixture
def secrets(tmp_path, fake):
    fake.reset()
    path = tmp_path / "secrets.yaml"
    path.write_text(f'openai: {{api_key: sk-graceful, base_url: "{fake.url}/v1"}}\n')
    return str(path)


def ledger(url: str) -> dict[str, dict]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {row.request_id: dict(row._mapping) for row in conn.execute(select(LedgerEntry.__table__))}
    finally:
        engine.dispose()


def refuses(base: str) -> bool:
    """The port takes no new connection: the master closed its listener, the workers stopped accepting."""
    try:
        requests.get(f"{base}/health", timeout=1)
    except requests.ConnectionError as exc:
        return "refused" in str(exc).lower()
    return False


def in_flight_call(base: str, request_id: str, answers: dict) -> threading.Thread:
    def call():
        try:
            response = requests.post(f"{base}/api/send_prompt", timeout=GRACE + 5, headers={"X-Request-ID": request_id},
                                     json={"prompt": "Say hello in French", "model_names": [SOL], "max_tokens": 5})
            answers[request_id] = (response.status_code, response.json())
        except requests.RequestException as exc:
            answers[request_id] = (0, repr(exc))

    thread = threading.Thread(target=call)
    thread.start()
    return thread


@pytest.mark.parametrize("vendor", ["slow", "hangs"])
def test_sigterm_during_a_vendor_call_finishes_records_and_exits_0(fake, secrets, encodings_dir, tmp_path, vendor):
    # slow: the call ends within its deadline and answers; hangs: the deadline cancels it, and the
    # cancelled call is recorded and answered all the same.
    fake.behave("gpt-6.1-sol", **({"delay": 2.0} if vendor == "slow" else {"hang": True}))
    drain = tmp_path / "draining"
    database = seeded_database_url()
    with gunicorn(SECRETS_FILE=secrets, TIKTOKEN_CACHE_DIR=str(encodings_dir), DRAIN_FILE=str(drain),
                  DATABASE_URL=database, PROVIDER_TIMEOUT=str(PROVIDER_TIMEOUT),
                  PROVIDER_MAX_RETRIES="0") as (base, server):
        assert requests.get(f"{base}/ready", timeout=5).status_code == 200
        drain.touch()                                    # preStop: leave the load balancer...
        assert requests.get(f"{base}/ready", timeout=5).status_code == 503
        assert requests.get(f"{base}/health", timeout=5).status_code == 200   # ...alive, not restarted
        answers: dict = {}
        caller = in_flight_call(base, f"in-flight-{vendor}", answers)   # ...still serving
        time.sleep(0.5)
        server.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        time.sleep(0.3)
        assert refuses(base), "a new connection was served after SIGTERM"
        code = server.process.wait(timeout=GRACE + 5)
        exited = time.monotonic() - signalled
        caller.join()
    status, body = answers[f"in-flight-{vendor}"]
    assert (code, status) == (0, 200), (code, answers)
    item = body["data"][0]
    assert item["recorded"] is True and (item["error"] is None) == (vendor == "slow"), item
    row = ledger(database)[f"in-flight-{vendor}"]
    assert row["outcome"] == ("ok" if vendor == "slow" else item["error"]["type"])
    assert exited < GRACE, f"exited {exited:.1f} s after SIGTERM"
    print(f"\n{vendor}: answered {status}, ledger outcome {row['outcome']!r}, exit {code} "
          f"{exited:.1f} s after SIGTERM (graceful_timeout {GRACE} s)")
