"""req/s of Price Runner under gunicorn against a bare Flask floor, measured in the same run.

    python bench/bench_http.py [--duration 5] [--connections 32] [--rounds 2]

Both servers run with gunicorn.conf.py (gthread, WEB_CONCURRENCY workers) and the same
environment; ours keeps its JSON request log, metrics and CORS on, as in production. wrk (Debian
package) drives them from loopback, alternating ours and the floor so machine noise hits both.
Every POST carries a different prompt (bench/wrk.py's @N@ counter), so nothing can be memoized
by content. Targets (issue 10): /api/models >= 0.9 of the floor, a short estimate >= 0.8, a
10,000-character estimate >= 1/1.3 of a floor that also encodes the prompt once with o200k_base.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import wrk  # noqa: E402
from tests.integration.servers import gunicorn  # noqa: E402

SHORT = "Hello, world"
LONG = ("Price Runner compares what a prompt costs on every model. " * 200)[:10_000]
PRICE = "/api/get_best_price_for_prompt"


def payloads(env: dict[str, str]) -> dict[str, str]:
    """The exact bytes Price Runner answers, so the floor serves the same sizes."""
    os.environ.update(env)
    from app import create_app

    client = create_app().test_client()
    result = {path: client.get(path).get_data(as_text=True) for path in ("/health", "/api/models")}
    for name, prompt in (("short", SHORT), ("long", LONG)):
        result[name] = client.post(PRICE, json={"prompt": f"{prompt} 1-1"}).get_data(as_text=True)
    return result


def best(url: str, args: argparse.Namespace, body: dict | None) -> float:
    """Calls/s of one round; a round with any failed call is refused, not reported."""
    load = wrk.run(url, duration=args.duration, connections=args.connections, body=body)
    if load.failed:
        raise SystemExit(f"{url}: {load.failed} calls failed; no figure reported")
    return load.calls_per_s


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    env = {"TIKTOKEN_CACHE_DIR": os.environ.get("TIKTOKEN_CACHE_DIR", str(REPO / ".tiktoken_cache"))}
    with tempfile.TemporaryDirectory() as tmp:
        payload_file = Path(tmp, "payloads.json")
        payload_file.write_text(json.dumps(payloads(env)))
        # (label, our path, the floor's path, body, target ratio)
        cases = [("GET /health", "/health", "/health", None, None),
                 ("GET /api/models", "/api/models", "/api/models", None, 0.9),
                 ("POST price 'Hello, world N'", PRICE, PRICE, {"prompt": f"{SHORT} @N@"}, 0.8),
                 ("POST price 10,000 chars", PRICE, "/encode" + PRICE, {"prompt": f"{LONG} @N@"}, 1 / 1.3)]
        with gunicorn(**env) as (real_base, _), \
                gunicorn("bench.baseline_app:app", **env, BASELINE_PAYLOADS=str(payload_file)) as (floor_base, _):
            print(f"wrk, {args.connections} connections, {args.duration}s, gunicorn.conf.py "
                  f"(WEB_CONCURRENCY={os.environ.get('WEB_CONCURRENCY', '2')}), best of {args.rounds} rounds")
            print(f"{'case':30} {'price-runner':>13} {'bare flask':>11} {'ratio':>6} {'target':>7}")
            for label, path, floor_path, body, target in cases:
                ours = theirs = 0.0
                for _ in range(args.rounds):   # alternate, so noise hits both sides
                    ours = max(ours, best(real_base + path, args, body))
                    theirs = max(theirs, best(floor_base + floor_path, args, body))
                goal = f">={target:.2f}" if target else ""
                print(f"{label:30} {ours:13.0f} {theirs:11.0f} {ours / theirs:6.2f} {goal:>7}")
            print("(the 10,000-character floor also encodes the prompt once with o200k_base)")


if __name__ == "__main__":
    main()
