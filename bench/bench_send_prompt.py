"""What Price Runner adds to a vendor call, against calling the same local fake directly and the proxy floor.

    python bench/bench_send_prompt.py [--requests 400] [--rounds 4] [--clients 32] [--baseline-rev f59e6e0]

The fake vendor (tests/fakes/server.py, its own process) answers at once, so the difference
is Price Runner's own overhead: HTTP in, validation, counting, dispatch to its thread pool,
the outbound call (requests), parsing, pricing, logging, HTTP out. The floor
(bench/floor_app.py) is a bare Flask app under the same gunicorn config making the same call:
what any Flask gateway pays for the hop. Sequential: one keep-alive requests.Session from this
process (trust_env off, the leanest direct call requests makes), direct, floor and ours in
interleaved rounds; concurrent: wrk with --clients keep-alive connections and a different
prompt per call, for each of them, and, in the same run, the revision before issue 10 (calls/s
per worker, goal 2x). Then the fan-out: five vendors answering in 200 ms each, wall time
against one of them.
"""
from __future__ import annotations

import argparse
import os
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

from bench import wrk  # noqa: E402
from bench.floor import added, floor_server, load, rate  # noqa: E402
from tests.integration.servers import free_port, gunicorn  # noqa: E402

PROMPT = "Say hello in French."
DIRECT_BODY = {"model": "gpt-6.1-sol", "messages": [{"role": "user", "content": PROMPT}],
               "max_completion_tokens": 1024}
BEFORE_ISSUE_10 = "f59e6e0"   # the last commit before the lean-path work
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
        session.trust_env = False   # no per-call scan of the environment: the direct call at its leanest
        for _ in range(20):
            timed(session, url, body, headers)
        return [timed(session, url, body, headers) for _ in range(n)]


def concurrent(url: str, body: dict, headers: dict, duration: int, clients: int) -> wrk.Load:
    """Calls/s and p50/p99 (ms) under `clients` keep-alive connections, measured by wrk (C, no GIL)."""
    load = wrk.run(url, duration=duration, connections=clients, body=body, headers=headers)
    if load.failed:
        raise SystemExit(f"{url}: {load.failed} calls failed; no figure reported")
    return load


@contextmanager
def checkout(rev: str):
    """A throwaway worktree of rev, run with this venv (plus flask-cors, which it still needed)."""
    with tempfile.TemporaryDirectory(prefix="bench-rev-") as tmp:
        tree = Path(tmp, "tree")
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), rev], cwd=REPO, check=True,
                       capture_output=True)
        try:
            extra = Path(tmp, "site")
            wanted = [line.split("#")[0].strip() for line in (tree / "requirements.txt").read_text().splitlines()
                      if line.lower().startswith("flask-cors")]
            if wanted:
                subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
                                str(extra), *wanted], check=True)
            yield tree, str(extra)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=REPO, capture_output=True)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(label: str, direct: dict[int, float], floor: dict[int, float], routed: dict[int, float]) -> None:
    """Print p50 and p99 of the three and what Price Runner adds over direct and over the floor."""
    for q in (50, 99):
        print(added(f"{label:12}", q, direct[q], floor[q], routed[q]))


def interleaved(targets: dict[str, tuple[str, dict, dict]], n: int, rounds: int) -> dict[str, dict[int, float]]:
    """p50/p99 of each target, sampled in rounds so a change of machine load hits all alike."""
    samples: dict[str, list[float]] = {name: [] for name in targets}
    for _ in range(rounds):
        for name, (url, body, headers) in targets.items():
            samples[name] += sequential(url, body, headers, max(1, n // rounds))
    return {name: percentiles(values) for name, values in samples.items()}


def percentiles(samples: list[float]) -> dict[int, float]:
    return {q: pct(samples, q) for q in (50, 99)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--baseline-rev", default=BEFORE_ISSUE_10,
                        help="the revision whose calls/s per worker this run compares with ('' to skip)")
    args = parser.parse_args()
    workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
    with fake_vendor(0.0) as fast, fake_vendor(0.2) as slow, tempfile.TemporaryDirectory() as tmp:
        cache = str(REPO / ".tiktoken_cache")
        direct_url, direct_headers = f"{fast}/v1/chat/completions", {"Authorization": "Bearer sk-bench"}
        routed_body = {"prompt": f"{PROMPT} @N@", "model_names": ["openai/gpt-6.1-sol"]}
        with gunicorn(SECRETS_FILE=secrets(tmp, "fast", fast), TIKTOKEN_CACHE_DIR=cache) as (base, _), \
                floor_server(fast) as floor_base:
            routed_url, floor_url = f"{base}/api/send_prompt", f"{floor_base}/api/send_prompt"
            print(f"{args.requests} calls each; fake vendor (own process) answers at once; gunicorn.conf.py "
                  f"defaults, {workers} workers, request log on; {load()}")
            plain = {**routed_body, "prompt": PROMPT}
            stats = interleaved({"direct": (direct_url, DIRECT_BODY, direct_headers), "floor": (floor_url, plain, {}),
                                 "ours": (routed_url, plain, {})}, args.requests, args.rounds)
            report("sequential", stats["direct"], stats["floor"], stats["ours"])
            direct = concurrent(direct_url, DIRECT_BODY, direct_headers, args.duration, args.clients)
            floor = concurrent(floor_url, routed_body, {}, args.duration, args.clients)
            ours = concurrent(routed_url, routed_body, {}, args.duration, args.clients)
            report(f"{args.clients} conns", {50: direct.p50_ms, 99: direct.p99_ms},
                   {50: floor.p50_ms, 99: floor.p99_ms}, {50: ours.p50_ms, 99: ours.p99_ms})
        print(rate(f"{args.clients} conns", ours.calls_per_s, floor.calls_per_s, workers))
        if args.baseline_rev:
            with checkout(args.baseline_rev) as (tree, extra), \
                    gunicorn(cwd=tree, SECRETS_FILE=secrets(tmp, "fast", fast), TIKTOKEN_CACHE_DIR=cache,
                             PYTHONPATH=extra) as (old_base, _):
                old = concurrent(f"{old_base}/api/send_prompt", routed_body, {}, args.duration, args.clients)
            print(f"{args.clients} conns: {args.baseline_rev} (before issue 10) {old.calls_per_s / workers:.0f} "
                  f"calls/s per worker; ratio {ours.calls_per_s / old.calls_per_s:.2f} (goal >= 2)")
        with gunicorn(SECRETS_FILE=secrets(tmp, "slow", slow), TIKTOKEN_CACHE_DIR=cache) as (base, _):
            routed_url = f"{base}/api/send_prompt"
            with requests.Session() as session:
                timed(session, routed_url, {"prompt": PROMPT, "model_names": FANOUT}, {})
                one = min(timed(session, routed_url, {"prompt": PROMPT, "model_names": FANOUT[:1]}, {})
                          for _ in range(5))
                five = min(timed(session, routed_url, {"prompt": PROMPT, "model_names": FANOUT}, {})
                           for _ in range(5))
            print(f"fan-out: 5 vendors x 200 ms -> {five:.1f} ms wall; one vendor -> {one:.1f} ms; "
                  f"ratio {five / one:.2f} (1.00 = perfectly parallel)")
        print(f"after: {load()}")


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
