"""What Price Runner adds to a vendor call, against calling the same local fake directly.

    python bench/bench_send_prompt.py [--requests 400] [--clients 32]

The fake vendor (tests/fakes/server.py, its own process) answers at once, so the difference
is Price Runner's own overhead: HTTP in, validation, counting, dispatch to its thread pool,
the outbound call (requests), parsing, pricing, HTTP out. Sequential: one keep-alive
requests.Session from this process; concurrent: wrk with --clients keep-alive connections.
Then the fan-out: five vendors answering in 200 ms each, wall time against one of them.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.integration.servers import free_port, gunicorn  # noqa: E402

PROMPT = "Say hello in French."
DIRECT_BODY = {"model": "gpt-6.1-sol", "messages": [{"role": "user", "content": PROMPT}],
               "max_completion_tokens": 1024}
FANOUT = ["openai/gpt-6.1-sol", "anthropic/claude-haiku-4-5", "google/gemini-3.8-flash",
          "bedrock/claude-haiku-5-5", "azure/gpt-6.1-sol"]


def timed(session: requests.Session, url: str, body: dict, headers: dict) -> float:
    started = time.perf_counter()
    response = session.post(url, json=body, headers=headers, timeout=10)
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return elapsed


def sequential(url: str, body: dict, headers: dict, n: int) -> list[float]:
    with requests.Session() as session:
        for _ in range(20):
            timed(session, url, body, headers)
        return [timed(session, url, body, headers) for _ in range(n)]


def concurrent(url: str, body: dict, headers: dict, duration: int, clients: int, tmp: str) -> dict[int, float]:
    """p50/p99 latency (ms) under `clients` keep-alive connections, measured by wrk (C, no GIL)."""
    script = Path(tmp, "post.lua")
    lines = ['wrk.method = "POST"', 'wrk.headers["Content-Type"] = "application/json"',
             *(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()), f"wrk.body = [[{json.dumps(body)}]]"]
    script.write_text("\n".join(lines) + "\n")
    output = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{duration}s", "--latency", "-s", str(script), url],
                            capture_output=True, text=True, check=True).stdout
    unit_ms = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return {int(q): float(value) * unit_ms[unit]
            for q, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)$", output, re.M)}


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(label: str, direct: dict[int, float], routed: dict[int, float]) -> None:
    for q in (50, 99):
        d, r = direct[q], routed[q]
        print(f"{label:12} p{q}: direct {d:7.2f} ms   via price-runner {r:7.2f} ms   added {r - d:6.2f} ms")


def percentiles(samples: list[float]) -> dict[int, float]:
    return {q: pct(samples, q) for q in (50, 99)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    with fake_vendor(0.0) as fast, fake_vendor(0.2) as slow, tempfile.TemporaryDirectory() as tmp:
        cache = str(REPO / ".tiktoken_cache")
        with gunicorn(SECRETS_FILE=secrets(tmp, "fast", fast), TIKTOKEN_CACHE_DIR=cache, LOG_LEVEL="WARNING") as (base, _):
            direct_url, direct_headers = f"{fast}/v1/chat/completions", {"Authorization": "Bearer sk-bench"}
            routed_url = f"{base}/api/send_prompt"
            routed_body = {"prompt": PROMPT, "model_names": ["openai/gpt-6.1-sol"]}
            print(f"{args.requests} calls each; fake vendor (own process) answers at once; gunicorn.conf.py defaults")
            report("sequential", percentiles(sequential(direct_url, DIRECT_BODY, direct_headers, args.requests)),
                   percentiles(sequential(routed_url, routed_body, {}, args.requests)))
            report(f"{args.clients} conns", concurrent(direct_url, DIRECT_BODY, direct_headers, 5, args.clients, tmp),
                   concurrent(routed_url, routed_body, {}, 5, args.clients, tmp))
        with gunicorn(SECRETS_FILE=secrets(tmp, "slow", slow), TIKTOKEN_CACHE_DIR=cache, LOG_LEVEL="WARNING") as (base, _):
            routed_url = f"{base}/api/send_prompt"
            with requests.Session() as session:
                timed(session, routed_url, {"prompt": PROMPT, "model_names": FANOUT}, {})
                one = min(timed(session, routed_url, {"prompt": PROMPT, "model_names": FANOUT[:1]}, {})
                          for _ in range(5))
                five = min(timed(session, routed_url, {"prompt": PROMPT, "model_names": FANOUT}, {})
                           for _ in range(5))
            print(f"fan-out: 5 vendors x 200 ms -> {five:.1f} ms wall; one vendor -> {one:.1f} ms; "
                  f"ratio {five / one:.2f} (1.00 = perfectly parallel)")


@contextmanager
def fake_vendor(delay: float):
    """Run tests/fakes/server.py in its own process (so it does not share our GIL)."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "tests.fakes.server", "--port", str(port),
                                "--delay", str(delay)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    process.stdout.readline()   # "fake vendors listening on ..."
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def secrets(tmp: str, name: str, url: str) -> str:
    path = Path(tmp, f"{name}.yaml")
    path.write_text(f'openai: {{api_key: sk-bench, base_url: "{url}/v1"}}\n'
                    f'anthropic: {{api_key: sk-ant-bench, base_url: "{url}"}}\n'
                    f'google: {{api_key: g-bench, base_url: "{url}"}}\n'
                    f'aws: {{bearer_token: bedrock-bench, endpoint_url: "{url}"}}\n'
                    f'azure: {{api_key: az-bench, endpoint: "{url}"}}\n')
    return str(path)


if __name__ == "__main__":
    main()
