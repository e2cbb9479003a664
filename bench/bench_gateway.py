"""What /v1/chat/completions adds over /api/send_prompt for one model, against the same local fake.

    python bench/bench_gateway.py [--requests 400] [--rounds 4] [--clients 16] [--duration 5]

One gunicorn, the proxy floor (bench/floor_app.py: a bare Flask app under the same gunicorn
config making the same vendor call), one fake vendor in its own process answering at once.
Sequential: the same keep-alive session calls the vendor directly, the floor's /v1,
send_prompt and /v1 in interleaved rounds (so drift in a shared machine's load hits all alike);
then wrk with --clients connections on each endpoint and the floor's. The goal (issue 13): a
non-streaming /v1 call adds no more than send_prompt; issue 24's: calls/s >= 0.8x the floor.
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
from bench.floor import added, floor_server, load, rate  # noqa: E402
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
                as (base, _), floor_server(fast) as floor:
            targets = {"direct": direct, "floor": (f"{floor}/v1/chat/completions", CHAT, {}),
                       "send_prompt": (f"{base}/api/send_prompt", SEND_PROMPT, {}),
                       "/v1": (f"{base}/v1/chat/completions", CHAT, {})}
            samples: dict[str, list[float]] = {name: [] for name in targets}
            per_round = max(1, args.requests // args.rounds)
            print(f"{per_round * args.rounds} sequential calls each ({args.rounds} interleaved rounds), "
                  f"{MODEL}, fake vendor answers at once, {workers} workers; {load()}")
            for _ in range(args.rounds):
                for name, (url, body, headers) in targets.items():
                    samples[name] += sequential(url, body, headers, per_round)
            stats = {name: percentiles(values) for name, values in samples.items()}
            for name in ("send_prompt", "/v1"):
                for q in (50, 99):
                    print(added(f"{name:12}", q, stats["direct"][q], stats["floor"][q], stats[name][q]))
            floor_load = concurrent(*targets["floor"], args.duration, args.clients)
            for name in ("send_prompt", "/v1"):
                url, body, headers = targets[name]
                ours = concurrent(url, body, headers, args.duration, args.clients)
                print(f"{args.clients} conns {name:12}: p50 {ours.p50_ms:6.2f} ms (floor {floor_load.p50_ms:6.2f})  "
                      f"p99 {ours.p99_ms:6.2f} ms (floor {floor_load.p99_ms:6.2f})")
                print(rate(f"{args.clients} conns {name:12}", ours.calls_per_s, floor_load.calls_per_s, workers))
        print(f"after: {load()}")

if __name__ == "__main__":
    main()
