"""Time to first token: streaming through send_prompt and /v1 against streaming from the fake vendor directly.

    python bench/bench_stream_ttft.py [--requests 300]

The fake vendor (tests/fakes/server.py, its own process) streams its answer at once, so the
difference is what Price Runner adds before the first token reaches the client: HTTP in,
validation, counting, the stream slot, dispatch to a pool thread, the outbound streaming call,
the first SSE event decoded, handed to the request thread, framed and written (for /v1 also the
fallback loop and OpenAI's chunk encoding: its role chunk goes out with the first token). All are
read the same way (one keep-alive requests.Session, the body read as it arrives), sequentially,
and measured from sending the request to the first byte of the first text event. The floor
(bench/floor_app.py: a bare Flask app under the same gunicorn config making the same streamed
vendor call and relaying its bytes) is sampled in the same rounds, through both of its paths.
For scale, the same answer whole (JSON) through both paths, to the first byte of its text.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_send_prompt import fake_vendor, secrets  # noqa: E402
from bench.floor import added, floor_server, load  # noqa: E402
from tests.integration.servers import gunicorn  # noqa: E402

PROMPT = "Say hello in French."
DIRECT_BODY = {"model": "gpt-6.1-sol", "messages": [{"role": "user", "content": PROMPT}],
               "max_completion_tokens": 1024, "stream": True, "stream_options": {"include_usage": True}}
WHOLE_BODY = {key: value for key, value in DIRECT_BODY.items() if key not in ("stream", "stream_options")}
ROUTED_BODY = {"prompt": PROMPT, "model_names": ["openai/gpt-6.1-sol"], "stream": True}
V1_BODY = {**DIRECT_BODY, "model": "openai/gpt-6.1-sol"}
FIRST_TEXT = b'"content":"Echo'   # the first text chunk (the role chunk's content is "")


def first_token_ms(session: requests.Session, url: str, body: dict, headers: dict, marker: bytes) -> float:
    """POST, read the body as it arrives, return ms until ``marker`` (the first text event) is in; drain the rest."""
    started = time.perf_counter()
    with session.post(url, json=body, headers=headers, stream=True, timeout=10) as response:
        response.raise_for_status()
        seen, at = b"", None
        while True:
            chunk = response.raw.read1(65536, decode_content=True)
            if not chunk:
                break
            if at is None:
                seen += chunk
                if marker in seen:
                    at = (time.perf_counter() - started) * 1000
    if at is None:
        raise SystemExit(f"{url}: no {marker!r} in the stream; no figure reported")
    return at


def sample(url: str, body: dict, headers: dict, marker: bytes, n: int) -> list[float]:
    with requests.Session() as session:
        session.trust_env = False
        for _ in range(20):
            first_token_ms(session, url, body, headers, marker)
        return [first_token_ms(session, url, body, headers, marker) for _ in range(n)]


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
    rounds, per_round = 5, max(1, args.requests // 5)
    with fake_vendor(0.0) as fast, tempfile.TemporaryDirectory() as tmp:
        cache = str(REPO / ".tiktoken_cache")
        with gunicorn(SECRETS_FILE=secrets(tmp, "fast", fast), TIKTOKEN_CACHE_DIR=cache) as (base, _), \
                floor_server(fast) as floor:
            print(f"{args.requests} streamed calls each, sequential; fake vendor (own process) streams at once; "
                  f"gunicorn.conf.py defaults, {workers} workers, request log on; {load()}")
            vendor = {"Authorization": "Bearer sk-bench"}
            # (url, body, headers, marker) of each path; sampled in rounds so a change of load hits all alike.
            streamed = {"direct": (f"{fast}/v1/chat/completions", DIRECT_BODY, vendor, FIRST_TEXT),
                        "floor send_prompt": (f"{floor}/api/send_prompt", ROUTED_BODY, {}, FIRST_TEXT),
                        "send_prompt": (f"{base}/api/send_prompt", ROUTED_BODY, {}, b"event: delta"),
                        "floor /v1": (f"{floor}/v1/chat/completions", V1_BODY, {}, FIRST_TEXT),
                        "/v1": (f"{base}/v1/chat/completions", V1_BODY, {}, FIRST_TEXT)}
            whole = {"direct": (f"{fast}/v1/chat/completions", WHOLE_BODY, vendor, b"Echo from"),
                     "floor send_prompt": (f"{floor}/api/send_prompt", {**ROUTED_BODY, "stream": False}, {},
                                           b"Echo from"),
                     "send_prompt": (f"{base}/api/send_prompt", {**ROUTED_BODY, "stream": False}, {}, b"Echo from")}
            first = rounds_of(streamed, rounds, per_round)
            # For scale: the same answer whole (JSON), first byte of its text, through the same paths.
            whole_first = rounds_of(whole, rounds, per_round)
        for label, samples in (("first token", first), ("whole (JSON)", whole_first)):
            for path in ("send_prompt", "/v1"):
                if path not in samples:
                    continue
                for q in (50, 99):
                    print(added(f"{label:12} {path:11}", q, pct(samples["direct"], q),
                                pct(samples[f"floor {path}"], q), pct(samples[path], q)))
        print(f"after: {load()}")


def rounds_of(paths: dict[str, tuple], rounds: int, per_round: int) -> dict[str, list[float]]:
    """Time to the marker on each path, in interleaved rounds."""
    samples: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(rounds):
        for name, (url, body, headers, marker) in paths.items():
            samples[name] += sample(url, body, headers, marker, per_round)
    return samples


if __name__ == "__main__":
    main()
