"""Budgets and the ledger under real gunicorn workers: holds across processes, kill -9 mid-call."""
import os
import pathlib
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select, text

from app.store.engine import make_engine
from app.store.schema import BudgetReservation, LedgerEntry
from tests.integration.servers import gunicorn, json_lines, migrated_sqlite
from tests.spend.conftest import migrated_postgres, postgres_url  # noqa: F401  (fixtures)

pytestmark = pytest.mark.integration
SOL = "openai/gpt-6.1-sol"
PROMPT = "Say hello in French"


@pytest.fixture
def secrets(tmp_path, fake):
    path = tmp_path / "secrets.yaml"
    path.write_text(f'openai: {{api_key: sk-live-spend, base_url: "{fake.url}/v1"}}\n')
    return str(path)


@pytest.fixture(autouse=True)
def fresh(fake):
    fake.reset()
    yield


def hold_of_one_call(max_tokens: int, encodings_dir) -> "Decimal":  # noqa: F821
    """What the service holds for one call of PROMPT on SOL (same code, same encodings)."""
    from app.catalog import load_models
    from app.spend.worst_case import worst_case
    from app.tokens.counter import TokenCounter
    from app.vendors import VENDORS
    from tests.conftest import REPO

    model = next(m for m in load_models(REPO / "models.csv", VENDORS.keys()) if m.id == SOL)
    count = TokenCounter.load(encodings_dir).count(PROMPT, {model.tokenizer})[model.tokenizer]
    return worst_case(model, count, max_tokens)


def workers_of(server) -> set[int]:
    master = server.process.pid
    return {int(pid) for pid in pathlib.Path(f"/proc/{master}/task/{master}/children").read_text().split()}


def ledger_rows(url):
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(select(LedgerEntry.__table__))]
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_twenty_concurrent_requests_on_two_workers_never_overspend(request, fake, secrets, encodings_dir,
                                                                   tmp_path, backend):
    url = (migrated_sqlite(tmp_path / "spend.db") if backend == "sqlite"
           else request.getfixturevalue("migrated_postgres"))
    budget = hold_of_one_call(50, encodings_dir) * 5
    # The vendor bills every token max_tokens allows, slowly enough for the 20 requests to overlap.
    fake.behave("gpt-6.1-sol", delay=0.5, text="word " * 200)
    keys = [f"round{n}:spend-live-key-{n}-0123456789" for n in range(3)]   # name:key
    with gunicorn(SECRETS_FILE=secrets, TIKTOKEN_CACHE_DIR=str(encodings_dir), DATABASE_URL=url,
                  BUDGET_DAILY_USD=str(budget), GUNICORN_THREADS="16", AUTH_MODE="api_key",
                  API_KEYS=",".join(keys)) as (base, server):
        # Which worker accepts a connection is the kernel's choice: a round where one worker took
        # all twenty proves less, so another principal (a budget of its own) tries again.
        for key in keys:
            statuses = burst(base, key.partition(":")[2])
            principal = key.partition(":")[0]
            time.sleep(0.1)   # log lines are written in batches (LOG_FLUSH_INTERVAL_MS)
            pids = {line["pid"] for line in json_lines(server.log()) if line.get("principal") == f"key:{principal}"}
            assert statuses.count(200) == 5 and statuses.count(402) == 15, statuses
            if len(pids) == 2:
                break
        assert len(pids) == 2, "in three rounds, never did both workers serve one principal"
    rows = [row for row in ledger_rows(url) if row["principal"] == principal]
    ok = [row for row in rows if row["outcome"] == "ok"]
    assert len(ok) == 5 and all(row["output_tokens"] == 50 for row in ok)
    assert sum(row["cost"] for row in rows) <= budget


def burst(base: str, key: str) -> list[int]:
    """Twenty concurrent send_prompt calls of one principal; their statuses."""
    def call(_):
        return requests.post(f"{base}/api/send_prompt", timeout=10, headers={"X-API-Key": key},
                             json={"prompt": PROMPT, "model_names": [SOL], "max_tokens": 50}).status_code

    with ThreadPoolExecutor(20) as pool:
        return list(pool.map(call, range(20)))


def test_kill_9_of_the_workers_mid_call_loses_no_committed_row(fake, secrets, encodings_dir, tmp_path):
    url = migrated_sqlite(tmp_path / "spend.db")
    fake.behave("gpt-6.1-sol", delay=0.02)
    answered: list[dict] = []
    stop = threading.Event()
    with gunicorn(SECRETS_FILE=secrets, TIKTOKEN_CACHE_DIR=str(encodings_dir), DATABASE_URL=url,
                  BUDGET_DAILY_USD="100", PROVIDER_TIMEOUT="10") as (base, server):
        def traffic():
            # Fast calls all along, so that kills land in the middle of calls and of ledger writes.
            with requests.Session() as session:
                while not stop.is_set():
                    try:
                        response = session.post(f"{base}/api/send_prompt", timeout=5,
                                                json={"prompt": PROMPT, "model_names": [SOL], "max_tokens": 5})
                    except requests.RequestException:
                        continue
                    if response.status_code == 200:
                        answered.append({**response.json()["data"][0], "request_id": response.headers["X-Request-ID"]})

        threads = [threading.Thread(target=traffic) for _ in range(4)]
        for thread in threads:
            thread.start()
        def killed_call():
            try:
                requests.post(f"{base}/api/send_prompt", timeout=15, headers={"X-Request-ID": "slow-call-killed"},
                              json={"prompt": PROMPT, "model_names": [SOL], "max_tokens": 5})
            except requests.RequestException:
                pass   # its worker dies under it

        slow = threading.Thread(target=killed_call)
        time.sleep(0.5)
        before = len(answered)
        fake.behave("gpt-6.1-sol", delay=3)   # the next calls hang in the vendor...
        slow.start()
        time.sleep(0.5)
        for pid in workers_of(server):        # ...when both workers die
            os.kill(pid, signal.SIGKILL)
        fake.behave("gpt-6.1-sol", delay=0.02)
        deadline = time.monotonic() + 15
        while len(answered) < before + 20 and time.monotonic() < deadline:   # the master forks new workers
            time.sleep(0.1)
        stop.set()
        for thread in threads:
            thread.join()
        slow.join()
    recorded = {item["request_id"] for item in answered if item["recorded"]}
    assert len(recorded) >= before + 20, "traffic resumed after the kill"
    rows = ledger_rows(url)
    assert recorded <= {row["request_id"] for row in rows}   # every answer that said recorded: true is there
    assert "slow-call-killed" not in {row["request_id"] for row in rows}
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            holds = conn.execute(select(BudgetReservation)).all()
    finally:
        engine.dispose()
    # The killed calls' holds stay, counted, until the deadline plus the grace period has passed.
    assert holds and all(timedelta(seconds=60) < h.expires_at - min(r["created_at"] for r in rows)
                         for h in holds)


def test_the_answer_cache_is_shared_by_the_workers(fake, secrets, encodings_dir):
    body = {"prompt": "Cache me", "model_names": [SOL], "cache": True}
    with gunicorn(SECRETS_FILE=secrets, TIKTOKEN_CACHE_DIR=str(encodings_dir)) as (base, server):
        items, pids = [], set()
        # A new connection each time: the kernel picks the worker, so ask until both have answered
        # (their log lines are written in batches: read them a moment later).
        while len(pids) < 2 and len(items) < 200:
            items.append(requests.post(f"{base}/api/send_prompt", json=body, timeout=10).json()["data"][0])
            time.sleep(0.03)
            pids = {line["pid"] for line in json_lines(server.log()) if line.get("path") == "/api/send_prompt"}
    assert [item["cached"] for item in items] == [False] + [True] * (len(items) - 1) and len(fake.requests) == 1
    assert len(pids) == 2, "both workers should have answered from the one cache"
