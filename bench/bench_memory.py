"""Price Runner's start-up time and memory under gunicorn, against issue 10's targets.

    python bench/bench_memory.py [--starts 3] [--duration 3] [--connections 32]

Start-up: from spawning `gunicorn -c gunicorn.conf.py wsgi:app` (2 workers, preload) to the
first 200 on /health and on /api/models, polled every 5 ms; --starts times. Memory: on the last
start, with /ready confirming the encodings are loaded, wrk drives the benchmark requests
(catalog, estimate short and 10,000 characters, send_prompt to the local fake vendor) for
--duration seconds each; then PSS, RSS and private memory per process from smaps_rollup.
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import wrk  # noqa: E402
from bench.bench_http import LONG  # noqa: E402
from bench.bench_send_prompt import fake_vendor, secrets  # noqa: E402
from bench.procs import children, memory  # noqa: E402
from tests.integration.servers import GUNICORN, free_port, gunicorn_env  # noqa: E402

PSS_TARGET_MB = 100
FIRST_200_TARGET_S = 1.5
PATHS = ("/health", "/api/models")
# "@N@" becomes a different number on every request: nothing can be answered from a memo.
LOAD = [("GET /api/models", "/api/models", None),
        ("POST estimate, short", "/api/get_best_price_for_prompt", {"prompt": "Hello, world @N@"}),
        ("POST estimate, 10,000 chars", "/api/get_best_price_for_prompt", {"prompt": "@N@ " + LONG[:9_990]}),
        ("POST send_prompt", "/api/send_prompt", {"prompt": "Say hello in French. @N@",
                                                 "model_names": ["openai/gpt-6.1-sol"]})]


class Started:
    """One gunicorn start, timed from spawn to the first 200 on each path."""

    def __init__(self, env: dict[str, str], log):
        self.base = f"http://127.0.0.1:{env['PORT']}"
        spawned = time.perf_counter()
        self.process = subprocess.Popen([str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=REPO, env=env,
                                        stdout=log, stderr=subprocess.STDOUT)
        self.first_200: dict[str, float] = {}
        try:
            self._poll(spawned, deadline=spawned + 60)
        except BaseException:
            self.stop()
            raise

    def _poll(self, spawned: float, deadline: float) -> None:
        while len(self.first_200) < len(PATHS):
            if self.process.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError(f"gunicorn did not serve {PATHS} (exit code {self.process.poll()})")
            for path in PATHS:
                if path not in self.first_200 and _answers(self.base + path):
                    self.first_200[path] = time.perf_counter() - spawned
            time.sleep(0.005)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def main() -> None:
    """Time the starts, then load the last one and read its memory."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--duration", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    # A SIGTERM (timeout, CI) unwinds like Ctrl-C, so every server started here is stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    cache = os.environ.get("TIKTOKEN_CACHE_DIR", str(REPO / ".tiktoken_cache"))
    with fake_vendor(0.0) as fake, tempfile.TemporaryDirectory() as tmp, \
            open(Path(tmp, "gunicorn.log"), "w+") as log:
        env = gunicorn_env(free_port(), SECRETS_FILE=secrets(tmp, "fast", fake), TIKTOKEN_CACHE_DIR=cache)
        starts = []
        for _ in range(args.starts):
            if starts:
                starts[-1].stop()
            starts.append(Started(env, log))
        server = starts[-1]
        try:
            report_starts(starts)
            require_encodings(server.base)
            before = [memory(pid) for pid in (server.process.pid, *workers(server, int(env["WEB_CONCURRENCY"])))]
            drive(server.base, args)
            report_memory(server.process.pid, before)
        finally:
            server.stop()


def report_starts(starts: list[Started]) -> None:
    """Print spawn-to-first-200 per path and start, against the target."""
    print(f"gunicorn.conf.py, WEB_CONCURRENCY={os.environ.get('WEB_CONCURRENCY', '2')} (preload_app), "
          f"{len(starts)} starts, spawn -> first 200 (target < {FIRST_200_TARGET_S} s):")
    for path in PATHS:
        times = [start.first_200[path] for start in starts]
        verdict = "met" if max(times) < FIRST_200_TARGET_S else "NOT met"
        print(f"  {path:12} {'  '.join(f'{t:.2f}' for t in times)} s   median {statistics.median(times):.2f} s, "
              f"worst {max(times):.2f} s: {verdict}")


def workers(server: Started, expected: int) -> list[int]:
    """The worker pids, once all are forked (the first 200 needs only one of them)."""
    deadline = time.monotonic() + 30
    while len(pids := children(server.process.pid)) < expected:
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn forked {len(pids)} of {expected} workers")
        time.sleep(0.05)
    return pids


def require_encodings(base: str) -> None:
    """Fail unless /ready says the tiktoken encodings are loaded (the memory target includes them)."""
    answer = requests.get(f"{base}/ready", timeout=5)
    if answer.status_code != 200:
        raise RuntimeError(f"/ready answered {answer.status_code}: {answer.text}")


def drive(base: str, args: argparse.Namespace) -> None:
    """Run each benchmark request with wrk; fail on any failed call."""
    print(f"load: wrk -c{args.connections} -d{args.duration}s per case, a different body on every request")
    for label, path, body in LOAD:
        load = wrk.run(base + path, duration=args.duration, connections=args.connections, body=body)
        if load.failed:
            raise RuntimeError(f"{label}: {load.failed} failed calls")
        print(f"  {label:28} {load.calls_per_s:7.0f} calls/s  p50 {load.p50_ms:6.1f} ms")


def report_memory(master: int, before: list) -> None:
    """Print PSS before and after the load, RSS and private memory per process, against the target."""
    after = [memory(pid) for pid in (master, *children(master))]
    print(f"memory per process, MB (10^6 bytes); target: PSS <= {PSS_TARGET_MB} MB per worker")
    print(f"  {'process':10}{'pid':>8}{'PSS before':>12}{'PSS after':>11}{'RSS':>8}{'private':>9}")
    start_pss = {m.pid: m.pss_mb for m in before}
    for role, m in zip(["master"] + ["worker"] * (len(after) - 1), after):
        verdict = "" if role == "master" else ("  met" if m.pss_mb <= PSS_TARGET_MB else "  NOT met")
        print(f"  {role:10}{m.pid:8}{start_pss.get(m.pid, float('nan')):12.1f}{m.pss_mb:11.1f}{m.rss_mb:8.1f}"
              f"{m.private_mb:9.1f}{verdict}")
    print(f"  total PSS {sum(m.pss_mb for m in after):.1f} MB, total RSS {sum(m.rss_mb for m in after):.1f} MB")


if __name__ == "__main__":
    main()
