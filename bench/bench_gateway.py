"""What /v1/chat/completions adds over /api/send_prompt for one model, against the same local fake.

    python bench/bench_gateway.py [--requests 400] [--rounds 4] [--clients 16] [--duration 5]

One gunicorn, one fake vendor in its own process answering at once. Sequential: the same
keep-alive session calls the vendor directly, send_prompt and /v1 in interleaved rounds (so
drift in a shared machine's load hits all three alike); then wrk with --clients connections
on each endpoint. The goal (issue 13): a non-streaming /v1 call adds no more than send_prompt.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_send_prompt import (DIRECT_BODY, PROMPT, concurrent, fake_vendor, percentiles,  # noqa: E402
                                     secrets, sequential)
from tests.integration.servers import gunicorn  # noqa: E402

MODEL = "openai/gpt-6.1-sol"
SEND_PROMPT = {"prompt": PROMPT, "model_names": [MODEL], "max_tokens": 1024}
CHAT = {"model": MODEL, "messages": [{"role": "user", "content": PROMPT}], "max_tokens": 1024}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=int, default=5)
    args = parser.parse_args()
    workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
    with fake_vendor(0.0) as fast, tempfile.TemporaryDirectory() as tmp:
        direct = (f"{fast}/v1/chat/completions", DIRECT_BODY, {"Authorization": "Bearer sk-bench"})
        with gunicorn(SECRETS_FILE=secrets(tmp, "fast", fast), TIKTOKEN_CACHE_DIR=str(REPO / ".tiktoken_cache")) \
                as (base, _):
            targets = {"direct": direct, "send_prompt": (f"{base}/api/send_prompt", SEND_PROMPT, {}),
                       "/v1": (f"{base}/v1/chat/completions", CHAT, {})}
            samples: dict[str, list[float]] = {name: [] for name in targets}
            per_round = max(1, args.requests // args.rounds)
            for _ in range(args.rounds):
                for name, (url, body, headers) in targets.items():
                    samples[name] += sequential(url, body, headers, per_round)
            print(f"{per_round * args.rounds} sequential calls each ({args.rounds} interleaved rounds), "
                  f"{MODEL}, fake vendor answers at once, {workers} workers; CPU shared with other work: noisy")
            stats = {name: percentiles(values) for name, values in samples.items()}
            for q in (50, 99):
                d = stats["direct"][q]
                print(f"p{q}: direct {d:6.2f} ms  send_prompt {stats['send_prompt'][q]:6.2f} ms "
                      f"(+{stats['send_prompt'][q] - d:5.2f})  /v1 {stats['/v1'][q]:6.2f} ms "
                      f"(+{stats['/v1'][q] - d:5.2f})")
            for name in ("send_prompt", "/v1"):
                url, body, headers = targets[name]
                load = concurrent(url, body, headers, args.duration, args.clients)
                print(f"{args.clients} conns {name:12}: {load.calls_per_s:7.0f} calls/s  p50 {load.p50_ms:6.2f} ms  "
                      f"p99 {load.p99_ms:6.2f} ms")


if __name__ == "__main__":
    main()
