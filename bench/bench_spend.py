"""What the ledger write and the budget hold add to a send_prompt call on SQLite (goal: <= 1 ms p50).

    python bench/bench_spend.py [--requests 400] [--baseline-rev acdec80]

Two figures, in one run:
- in process: one request's hold (BEGIN IMMEDIATE, read the principal's periods and live holds,
  insert the hold) and its record (insert the ledger row, settle the hold, add to the periods),
  timed around the Accountant alone;
- over HTTP: sequential send_prompt calls through gunicorn (2 workers, budgets on, a migrated
  SQLite database) against the revision before the ledger existed, calls interleaved one by
  one so that drift on this shared machine hits both alike; the fake vendor answers at once.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_send_prompt import checkout, fake_vendor, secrets  # noqa: E402
from tests.integration.servers import gunicorn, migrated_sqlite  # noqa: E402

BEFORE_SPEND = "acdec80"   # main before the ledger and budgets
PROMPT = "Say hello in French."
MODEL = "openai/gpt-6.1-sol"


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def in_process(n: int, tmp: str) -> tuple[float, float]:
    """p50 ms of one hold and of one record, on a migrated SQLite database."""
    from app import create_app

    app = create_app({"DATABASE_URL": migrated_sqlite(Path(tmp, "inproc.db")), "BUDGET_DAILY_USD": "1000000",
                      "SECRETS_FILE": "/nonexistent", "TIKTOKEN_CACHE_DIR": str(REPO / ".tiktoken_cache")})
    from app.spend.accountant import Planned

    accountant = app.extensions["spend"].accountant
    model = app.extensions["catalog"].get(MODEL)
    count = app.extensions["tokens"].count(PROMPT, {model.tokenizer})[model.tokenizer]
    item = {"id": MODEL, "success": True, "error": None, "latency_ms": 300.0, "input_tokens": 12,
            "output_tokens": 40, "cached_tokens": 0, "reasoning_tokens": 0, "estimated_input_tokens": 12,
            "cached": False, "cost_basis": "billed"}
    holds, records = [], []
    for i in range(n + 50):
        started = time.perf_counter()
        tab = accountant.open("bench", f"r{i}", [Planned(0, model, 1024, count)])
        held = time.perf_counter()
        assert tab.record([(0, model, dict(item))])
        done = time.perf_counter()
        if i >= 50:   # warm-up
            holds.append((held - started) * 1000)
            records.append((done - held) * 1000)
    return p50(holds), p50(records)


def over_http(n: int, fake: str, tmp: str, baseline_rev: str) -> tuple[float, float]:
    """p50 ms of send_prompt with budgets and the ledger, and on the revision before them."""
    body = {"prompt": PROMPT, "model_names": [MODEL]}
    cache = str(REPO / ".tiktoken_cache")
    settings = {"SECRETS_FILE": secrets(tmp, "fast", fake), "TIKTOKEN_CACHE_DIR": cache}
    with checkout(baseline_rev) as (tree, extra), \
            gunicorn(cwd=tree, PYTHONPATH=extra, **settings) as (old, _), \
            gunicorn(BUDGET_DAILY_USD="1000000", **settings) as (new, _), \
            requests.Session() as session:
        session.trust_env = False
        timings: dict[str, list[float]] = {old: [], new: []}
        for i in range(n + 40):
            for base in (new, old) if i % 2 else (old, new):
                started = time.perf_counter()
                response = session.post(f"{base}/api/send_prompt", json=body, timeout=10)
                elapsed = (time.perf_counter() - started) * 1000
                response.raise_for_status()
                if base == new and not response.json()["data"][0]["recorded"]:
                    raise SystemExit("a call was not recorded: no figure reported")
                if i >= 40:
                    timings[base].append(elapsed)
    return p50(timings[new]), p50(timings[old])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--baseline-rev", default=BEFORE_SPEND)
    args = parser.parse_args()
    with fake_vendor(0.0) as fake, tempfile.TemporaryDirectory() as tmp:
        hold, record = in_process(args.requests, tmp)
        print(f"in process, {args.requests} requests: hold p50 {hold:.3f} ms + record p50 {record:.3f} ms "
              f"= {hold + record:.3f} ms (goal <= 1 ms)")
        ours, before = over_http(args.requests, fake, tmp, args.baseline_rev)
        print(f"over HTTP, {args.requests} sequential calls each, interleaved: send_prompt p50 {ours:.2f} ms "
              f"with budgets and the ledger, {before:.2f} ms at {args.baseline_rev} (before them); "
              f"added {ours - before:+.2f} ms (goal <= 1 ms)")


if __name__ == "__main__":
    main()
