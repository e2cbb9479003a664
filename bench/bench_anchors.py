"""Price Runner's send_prompt next to LiteLLM's proxy, against the same local fake vendor, in one run.

    make bench-anchors      (first installs bench/anchors-requirements.txt into bench/.anchors-venv)
    python bench/bench_anchors.py --litellm bench/.anchors-venv/bin/litellm [--requests 300]

One fake vendor process (tests/fakes/server.py, answering at once) serves both. Ours runs under
gunicorn.conf.py (gthread, WEB_CONCURRENCY=2); LiteLLM with --num_workers 2 (uvicorn). Both
keep their default per-request access log. Added latency: sequential keep-alive calls from this
process, interleaved (direct, ours, LiteLLM, direct, ...) so noise hits all three alike, minus
the direct call at the same percentile. Throughput: wrk, 32 connections, best of --rounds.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import wrk  # noqa: E402
from bench.bench_send_prompt import DIRECT_BODY, PROMPT, fake_vendor, percentiles, secrets, timed  # noqa: E402
from bench.litellm_proxy import litellm_proxy  # noqa: E402
from bench.procs import children, command_line, memory  # noqa: E402
from tests.integration.servers import gunicorn  # noqa: E402

WORKERS = 2
MODEL = DIRECT_BODY["model"]
GOAL = "goal (issue 10): ours adds at most 1/10 of LiteLLM's p50 and serves 10x its calls/s per worker"


def main() -> None:
    """Start the fake vendor, LiteLLM and our gunicorn; measure each; print the comparison."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--litellm", default=str(REPO / "bench/.anchors-venv/bin/litellm"))
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    # A SIGTERM (timeout, CI) unwinds like Ctrl-C, so every server started here is stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    cache = os.environ.get("TIKTOKEN_CACHE_DIR", str(REPO / ".tiktoken_cache"))
    with fake_vendor(0.0) as fake, litellm_proxy(args.litellm, MODEL, f"{fake}/v1", WORKERS) as proxy, \
            tempfile.TemporaryDirectory() as tmp, \
            gunicorn(SECRETS_FILE=secrets(tmp, "fast", fake), TIKTOKEN_CACHE_DIR=cache,
                     WEB_CONCURRENCY=str(WORKERS)) as (base, ours):
        targets = {
            "direct": (f"{fake}/v1/chat/completions", DIRECT_BODY, {"Authorization": "Bearer sk-bench"}),
            "price-runner": (f"{base}/api/send_prompt", {"prompt": PROMPT, "model_names": [f"openai/{MODEL}"]}, {}),
            "litellm": (f"{proxy.base}/v1/chat/completions", DIRECT_BODY, proxy.headers),
        }
        check_answers(targets)
        workers = {"price-runner": children(ours.process.pid), "litellm": litellm_workers(proxy.process.pid)}
        print(f"fake vendor answers at once; workers: price-runner {len(workers['price-runner'])} "
              f"(gunicorn gthread), litellm {len(workers['litellm'])} (uvicorn)")
        latency = sequential(targets, args.requests)
        load = concurrent(targets, args)
        check_answers(targets)
        report(latency, load, workers, args)
        report_memory({"price-runner": ours.process.pid, "litellm": proxy.process.pid}, workers)


def check_answers(targets: dict) -> None:
    """Fail unless each side really relayed the fake's answer (a fast error is no benchmark)."""
    answers = {name: requests.post(url, json=body, headers=headers, timeout=10)
               for name, (url, body, headers) in targets.items()}
    for name, response in answers.items():
        response.raise_for_status()
    item = answers["price-runner"].json()["data"][0]
    assert item["success"] and not item["cached"] and item["response"].startswith("Echo from"), item
    text = answers["litellm"].json()["choices"][0]["message"]["content"]
    assert text.startswith("Echo from"), text


def litellm_workers(pid: int) -> list[int]:
    """uvicorn's worker processes (its resource tracker is a child too, and serves nothing)."""
    return [child for child in children(pid) if "spawn_main" in command_line(child)]


def sequential(targets: dict, n: int) -> dict[str, dict[int, float]]:
    """p50/p99 (ms) of n calls per target, one keep-alive session each, interleaved."""
    sessions = {name: requests.Session() for name in targets}
    samples: dict[str, list[float]] = {name: [] for name in targets}
    for round_ in range(20 + n):
        for name, (url, body, headers) in targets.items():
            elapsed = timed(sessions[name], url, body, headers)
            if round_ >= 20:   # the first 20 warm up connections and caches
                samples[name].append(elapsed)
    for session in sessions.values():
        session.close()
    return {name: percentiles(values) for name, values in samples.items()}


def concurrent(targets: dict, args: argparse.Namespace) -> dict[str, wrk.Load]:
    """Best calls/s of each target over the rounds, alternating targets within a round."""
    best: dict[str, wrk.Load] = {}
    for _ in range(args.rounds):
        for name, (url, body, headers) in targets.items():
            load = wrk.run(url, duration=args.duration, connections=args.connections, body=body, headers=headers)
            if load.failed:
                raise RuntimeError(f"{name}: {load.failed} failed calls under load")
            if name not in best or load.calls_per_s > best[name].calls_per_s:
                best[name] = load
    return best


def report(latency: dict, load: dict[str, wrk.Load], workers: dict[str, list[int]], args) -> None:
    """Print added latency and calls/s (total, per worker) side by side, the ratios and the verdicts."""
    added = {name: {q: latency[name][q] - latency["direct"][q] for q in (50, 99)} for name in workers}
    per_worker = {name: load[name].calls_per_s / len(pids) for name, pids in workers.items()}
    print(f"sequential, {args.requests} calls each: direct p50 {latency['direct'][50]:.2f} ms, "
          f"p99 {latency['direct'][99]:.2f} ms")
    print(f"wrk -c{args.connections} -d{args.duration}s, best of {args.rounds}: "
          f"direct {load['direct'].calls_per_s:.0f} calls/s (the fake vendor's ceiling)")
    print(f"{'':14}{'added p50':>11}{'added p99':>11}{'calls/s':>9}{'per worker':>12}{'p50 @32':>10}")
    for name in workers:
        print(f"{name:14}{added[name][50]:8.2f} ms{added[name][99]:8.2f} ms{load[name].calls_per_s:9.0f}"
              f"{per_worker[name]:12.0f}{load[name].p50_ms:7.1f} ms")
    print(f"{'ours/theirs':14}{ratio(added, 50):>11}{ratio(added, 99):>11}"
          f"{load['price-runner'].calls_per_s / load['litellm'].calls_per_s:9.2f}"
          f"{per_worker['price-runner'] / per_worker['litellm']:12.2f}")
    latency_met = added["price-runner"][50] <= added["litellm"][50] / 10
    calls_met = per_worker["price-runner"] >= 10 * per_worker["litellm"]
    print(f"{GOAL}: latency {'met' if latency_met else 'NOT met'}, calls/s {'met' if calls_met else 'NOT met'}")


def ratio(added: dict, q: int) -> str:
    """Ours over theirs for the added latency at percentile q."""
    theirs = added["litellm"][q]
    return f"{added['price-runner'][q] / theirs:.3f}" if theirs > 0 else "n/a"


def report_memory(masters: dict[str, int], workers: dict[str, list[int]]) -> None:
    """Print each server's PSS: master and workers."""
    for name, master in masters.items():
        pss = [memory(pid).pss_mb for pid in (master, *workers[name])]
        print(f"memory after the load, {name}: PSS master {pss[0]:.0f} MB + workers "
              f"{' + '.join(f'{p:.0f}' for p in pss[1:])} MB = {sum(pss):.0f} MB")


if __name__ == "__main__":
    main()
