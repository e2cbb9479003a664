"""Two instances behind nginx, one PostgreSQL, one Redis: what must hold across instances does.

Each instance is its own gunicorn master with two workers; nginx's `upstream` holds both
(deploy/nginx.conf). Rate limits count in Redis, budgets, the ledger and the catalog version
live in PostgreSQL; an instance killed with kill -9 loses no committed row, and nginx never
sends a send_prompt that reached it to the other one.
"""
from __future__ import annotations

import itertools
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests
from sqlalchemy import select, text

from app.store import catalog_db
from app.store.catalog_db import seed_if_empty
from app.store.engine import make_engine, reading, writing
from app.store.migrate import upgrade
from app.store.schema import LedgerEntry
from tests.integration.servers import REPO, gunicorn, json_lines, nginx, redis_server
from tests.integration.test_spend_live import hold_of_one_call
from tests.store.conftest import _fresh_schema, postgres_url  # noqa: F401  (session fixture)

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
FLASK = pathlib.Path(sys.executable).with_name("flask")
SOL, ASTRA = "openai/gpt-6.1-sol", "openai/gpt-6-astra"
PROMPT = "Say hello in French"
LIMIT = 60                 # RATELIMIT_DEFAULT per minute, per client and route
REFRESH_S = 2.0            # CATALOG_REFRESH_S
KEYS = {name: f"{name}-scale-out-key-0123456789" for name in ("limited", "budget", "catalog", "traffic")}
TAMPERED_INPUT = Decimal("11")   # astra's input price before `catalog sync --apply` (genai-prices: 10)


def seeded(url: str) -> None:
    """Migrate, seed from the bundled files, then make one price disagree with genai-prices, so
    that `catalog sync --apply` has a change to write."""
    _fresh_schema(url)
    engine = make_engine(url)
    try:
        upgrade(engine)
        with writing(engine) as session:
            seed_if_empty(session, REPO / "models.csv", REPO / "price_history.csv", datetime.now(UTC))
        with engine.begin() as conn:
            changed = conn.execute(text("UPDATE price_versions SET input_price_per_mtok = :price "
                                        "WHERE model_id = :model AND effective_to IS NULL"),
                                   {"price": TAMPERED_INPUT, "model": ASTRA}).rowcount
        assert changed == 1
    finally:
        engine.dispose()


class Cluster:
    """Two instances (base URLs and Servers), nginx in front, and what they share."""

    def __init__(self, database: str, settings: dict[str, str], instances: list, front: str):
        self.database, self.settings, self.instances, self.front = database, settings, instances, front

    def served_by(self, predicate) -> list[int]:
        """How many request log lines matching predicate each instance wrote."""
        time.sleep(0.1)   # log lines are written in batches (LOG_FLUSH_INTERVAL_MS)
        return [sum(1 for line in json_lines(server.log()) if line.get("event") == "request" and predicate(line))
                for _, server in self.instances]

    def ledger(self) -> list[dict]:
        engine = make_engine(self.database)
        try:
            with engine.connect() as conn:
                return [dict(row._mapping) for row in conn.execute(select(LedgerEntry.__table__))]
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def cluster(postgres_url, fake, encodings_dir, tmp_path_factory):  # noqa: F811
    directory = tmp_path_factory.mktemp("scale-out")
    secrets = directory / "secrets.yaml"
    secrets.write_text(f'openai: {{api_key: sk-scale-out, base_url: "{fake.url}/v1"}}\n')
    budgets = directory / "budgets.yaml"
    budgets.write_text(f"budget: {{daily_usd: {hold_of_one_call(50, encodings_dir) * 5}}}\n")
    seeded(postgres_url)
    with ExitStack() as stack:
        redis = stack.enter_context(redis_server())
        settings = dict(
            DATABASE_URL=postgres_url, RATELIMIT_ENABLED="true", RATELIMIT_STORAGE_URI=redis,
            CACHE_REDIS_URL=redis, RATELIMIT_DEFAULT=f"{LIMIT}/minute", RATELIMIT_SEND_PROMPT="10000/minute",
            CATALOG_REFRESH_S=str(REFRESH_S), AUTH_MODE="api_key", API_KEYS=",".join(f"{n}:{k}" for n, k in KEYS.items()),
            BUDGETS_FILE=str(budgets), SECRETS_FILE=str(secrets), TIKTOKEN_CACHE_DIR=str(encodings_dir),
            PROVIDER_TIMEOUT="10", PROVIDER_MAX_RETRIES="0", HOST="127.0.0.1", GUNICORN_THREADS="16")
        instances = [stack.enter_context(gunicorn(**settings)) for _ in range(2)]
        front, _ = stack.enter_context(nginx([base.removeprefix("http://") for base, _ in instances]))
        yield Cluster(postgres_url, settings, instances, front)


@pytest.fixture(autouse=True)
def fresh(fake):
    fake.reset()
    yield


def auth(name: str) -> dict[str, str]:
    return {"X-API-Key": KEYS[name]}


def test_a_rate_limit_of_n_per_minute_allows_n_in_total_across_instances(cluster):
    statuses = [requests.get(f"{cluster.front}/api/providers", headers=auth("limited"), timeout=5).status_code
                for _ in range(LIMIT + 20)]
    assert statuses == [200] * LIMIT + [429] * 20
    per_instance = cluster.served_by(lambda line: line["path"] == "/api/providers" and line["status"] == 200)
    # With memory:// each of the four workers would have allowed LIMIT on its own.
    assert sum(per_instance) == LIMIT and min(per_instance) > 0, per_instance


def test_a_budget_is_never_overspent_by_concurrent_requests_spread_over_both(cluster, fake, encodings_dir):
    budget = hold_of_one_call(50, encodings_dir) * 5
    fake.behave("gpt-6.1-sol", delay=0.5, text="word " * 200)   # every call bills max_tokens, slowly

    def call(n):
        return requests.post(f"{cluster.front}/api/send_prompt", timeout=15, headers=auth("budget"),
                             json={"prompt": PROMPT, "model_names": [SOL], "max_tokens": 50}).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(call, range(20)))
    assert statuses.count(200) == 5 and statuses.count(402) == 15, statuses
    per_instance = cluster.served_by(lambda line: line["path"] == "/api/send_prompt"
                                     and line.get("principal") == "key:budget")
    assert min(per_instance) > 0, f"one instance served all 20: {per_instance}"
    rows = [row for row in cluster.ledger() if row["principal"] == "budget"]
    assert len([row for row in rows if row["outcome"] == "ok"]) == 5
    assert sum(row["cost"] for row in rows) <= budget


def astra_input_prices(cluster) -> list[Decimal]:
    """The input price of ASTRA as each instance serves it now (asked directly, not through nginx)."""
    prices = []
    for base, _ in cluster.instances:
        models = requests.get(f"{base}/api/models/provider/openai", headers=auth("catalog"), timeout=5).json()["data"]
        prices.append(Decimal(str(next(m for m in models if m["id"] == ASTRA)["input_price_per_mtok"])))
    return prices


def catalog_version(engine) -> int:
    with reading(engine) as session:
        return catalog_db.catalog_version(session)


def test_a_catalog_sync_on_one_instance_is_served_by_both_within_catalog_refresh_s(cluster):
    assert astra_input_prices(cluster) == [TAMPERED_INPUT] * 2
    engine = make_engine(cluster.database)
    before = catalog_version(engine)
    sync = subprocess.Popen([str(FLASK), "--app", "wsgi", "catalog", "sync", "--apply"], cwd=REPO,
                            env={**os.environ, **cluster.settings}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        # The moment the new version is committed, then how long until each instance serves it.
        while catalog_version(engine) == before and sync.poll() is None:
            time.sleep(0.05)
        committed = time.monotonic()
        seen: dict[int, float] = {}
        while len(seen) < 2 and time.monotonic() - committed < REFRESH_S + 3:
            for index, price in enumerate(astra_input_prices(cluster)):
                if price == Decimal("10"):
                    seen.setdefault(index, round(time.monotonic() - committed, 2))
            time.sleep(0.2)
        output = sync.communicate(timeout=60)[0]
    finally:
        sync.kill()
        engine.dispose()
    assert sync.returncode == 0 and "applied 1 price changes" in output, output
    print(f"\nthe new price served by each instance {seen} s after the commit (CATALOG_REFRESH_S={REFRESH_S})")
    # Each worker looks every CATALOG_REFRESH_S, then loads the new catalog (a fraction of a second).
    assert sorted(seen) == [0, 1] and max(seen.values()) <= REFRESH_S + 1.0, seen
    time.sleep(max(0.0, REFRESH_S + 1.0 - (time.monotonic() - committed)))
    for _ in range(4):   # each worker of each instance: every answer is the new price by now
        assert astra_input_prices(cluster) == [Decimal("10")] * 2


def test_idempotency_keys_and_the_answer_cache_hold_across_instances(cluster, fake):
    (first, _), (second, _) = cluster.instances
    body = {"prompt": f"{PROMPT}, once", "model_names": [SOL], "max_tokens": 5}
    headers = {**auth("traffic"), "Idempotency-Key": "scale-out-once"}
    answer = requests.post(f"{first}/api/send_prompt", json=body, headers=headers, timeout=10)
    replay = requests.post(f"{second}/api/send_prompt", json=body, headers=headers, timeout=10)
    assert answer.status_code == replay.status_code == 200
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.json()["data"] == answer.json()["data"]
    cached = {"prompt": f"{PROMPT}, cached", "model_names": [SOL], "max_tokens": 5, "cache": True}
    items = [requests.post(f"{base}/api/send_prompt", json=cached, headers=auth("traffic"), timeout=10).json()["data"][0]
             for base, _ in cluster.instances]
    assert [item["cached"] for item in items] == [False, True]
    assert len(fake.requests) == 2   # one vendor call each: the replay and the cache hit called none


def test_kill_9_of_one_instance_mid_traffic_loses_no_committed_row_and_resends_no_post(cluster, fake):
    """Runs last in this module: it leaves one instance dead."""
    fake.behave("gpt-6.1-sol", delay=0.02)
    fake.behave("gpt-6-astra", delay=3)   # the calls in flight when the instance dies
    answers: list[tuple[float, str, int, dict | None]] = []   # (sent at, request id, status, body)
    ids, go, stop = itertools.count(), threading.Event(), threading.Event()

    def post(model: str) -> None:
        request_id = f"scale-out-{next(ids)}"
        sent = time.monotonic()
        try:
            response = requests.post(f"{cluster.front}/api/send_prompt", timeout=20,
                                     headers={**auth("traffic"), "X-Request-ID": request_id},
                                     json={"prompt": f"{PROMPT} ({request_id})", "model_names": [model],
                                           "max_tokens": 5})
            answers.append((sent, request_id, response.status_code,
                            response.json() if response.status_code == 200 else None))
        except requests.RequestException:
            answers.append((sent, request_id, 0, None))

    def traffic() -> None:
        while not stop.is_set():
            go.wait()
            post(SOL)

    threads = [threading.Thread(target=traffic) for _ in range(4)]
    for thread in threads:
        thread.start()
    go.set()
    time.sleep(1.0)
    go.clear()                     # a quiet moment: nginx's round robin alternates the slow calls
    time.sleep(0.2)
    slow = [threading.Thread(target=post, args=(ASTRA,)) for _ in range(6)]
    for thread in slow:
        thread.start()
        time.sleep(0.05)
    go.set()
    time.sleep(0.5)
    victim_base, victim = cluster.instances[1]
    master = victim.process.pid
    workers = pathlib.Path(f"/proc/{master}/task/{master}/children").read_text().split()
    for pid in [master, *map(int, workers)]:
        os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    victim.process.wait()
    time.sleep(3.0)
    stop.set()
    for thread in threads + slow:
        thread.join()

    items = [(request_id, body["data"][0]) for _, request_id, status, body in answers if status == 200]
    assert len(items) > 20
    committed = {row["request_id"] for row in cluster.ledger()}
    missing = [request_id for request_id, item in items if item["recorded"] and request_id not in committed]
    assert not missing, f"answered recorded: true, yet not in the ledger: {missing}"
    assert all(item["recorded"] for _, item in items)
    # nginx sends new requests to the live instance: everything sent after the kill is answered.
    after = [status for sent, _, status, _ in answers if sent > killed + 0.2]
    assert after and set(after) == {200}, after
    # The calls in flight on the dead instance failed (502) and were never sent again: each
    # prompt reached the vendor at most once.
    failed = [request_id for _, request_id, status, _ in answers if status == 502]
    prompts = [r.json()["messages"][-1]["content"] for r in fake.requests if r.path.endswith("/chat/completions")]
    resent = {p for p in prompts if prompts.count(p) > 1}
    assert not resent, f"nginx sent these prompts twice: {resent}"
    billed = [request_id for request_id in failed if any(request_id + ")" in p for p in prompts)]
    assert billed, f"no call had reached the vendor on the killed instance: {failed}"
    print(f"\n{len(items)} answered, {len(failed)} failed with 502 ({len(billed)} had reached the vendor), "
          f"{len(after)} sent after the kill all answered")
