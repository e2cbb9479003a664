"""Time to first token: streaming through send_prompt and /v1 against streaming from the fake vendor directly.

    python bench/bench_stream_ttft.py [--requests 300]

The fake vendor (tests/fakes/server.py, its own process) streams its answer at once, so the
difference is what Price Runner adds before the first token reaches the client: HTTP in,
validation, counting, the stream slot, dispatch to a pool thread, the outbound streaming call,
the first SSE event decoded, handed to the request thread, framed and written (for /v1 also the
fallback loop and OpenAI's chunk encoding: its role chunk goes out with the first token). All are
read the same way (one keep-alive requests.Session, the body read as it arrives), sequentially,
and measured from sending the request to the first byte of the first text event. For scale,
the same answer whole (JSON) through both paths, to the first byte of its text.
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
    with fake_vendor(0.0) as fast, tempfile.TemporaryDirectory() as tmp:
        cache = str(REPO / ".tiktoken_cache")
        with gunicorn(SECRETS_FILE=secrets(tmp, "fast", fast), TIKTOKEN_CACHE_DIR=cache) as (base, _):
            print(f"{args.requests} streamed calls each, sequential; fake vendor (own process) streams at once; "
                  f"gunicorn.conf.py defaults, {workers} workers, request log on")
            # Interleave the two in rounds so a change of machine load hits both alike.
            direct, routed, gateway = [], [], []
            for _ in range(5):
                direct += sample(f"{fast}/v1/chat/completions", DIRECT_BODY, {"Authorization": "Bearer sk-bench"},
                                 FIRST_TEXT, args.requests // 5)
                routed += sample(f"{base}/api/send_prompt", ROUTED_BODY, {}, b"event: delta", args.requests // 5)
                gateway += sample(f"{base}/v1/chat/completions", V1_BODY, {}, FIRST_TEXT, args.requests // 5)
            # For scale: the same answer whole (JSON), first byte of the body, through the same two paths.
            whole_direct, whole_routed = [], []
            for _ in range(5):
                whole_direct += sample(f"{fast}/v1/chat/completions", WHOLE_BODY,
                                       {"Authorization": "Bearer sk-bench"}, b"Echo from", args.requests // 5)
                whole_routed += sample(f"{base}/api/send_prompt", {**ROUTED_BODY, "stream": False}, {},
                                       b"Echo from", args.requests // 5)
        for label, d_all, r_all in (("first token", direct, routed), ("whole (JSON)", whole_direct, whole_routed)):
            for q in (50, 99):
                d, r = pct(d_all, q), pct(r_all, q)
                print(f"{label:12} p{q}: direct {d:7.2f} ms   via send_prompt {r:7.2f} ms   added {r - d:6.2f} ms")
        for q in (50, 99):
            d, g = pct(direct, q), pct(gateway, q)
            print(f"first token  p{q}: direct {d:7.2f} ms   via /v1         {g:7.2f} ms   added {g - d:6.2f} ms")


if __name__ == "__main__":
    main()
