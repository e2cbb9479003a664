"""The proxy floor: a bare Flask app making the same vendor call as Price Runner, and nothing else.

    gunicorn -c gunicorn.conf.py bench.floor_app:app     (FLOOR_VENDOR_URL, FLOOR_API_KEY)

It takes the same bodies as ``POST /api/send_prompt`` and ``POST /v1/chat/completions``, sends
the call Price Runner's OpenAI adapter sends (``POST {FLOOR_VENDOR_URL}/v1/chat/completions``
with the same JSON fields and the same ``timeout=`` as the adapter's first attempt:
PROVIDER_CONNECT_TIMEOUT to connect, PROVIDER_TIMEOUT to read, by default 3.05 s and 30 s)
through a default ``requests.Session()``, one per worker, and returns the vendor's bytes as
they came: whole, or streamed as they arrive. No validation, counting, pricing, ledger, logging
or metrics: what any Flask gateway pays for the hop. It runs under the same gunicorn.conf.py,
so workers, threads and keep-alive match. Do not optimise it: the benchmarks report what Price
Runner adds over it.
"""
from __future__ import annotations

import os
from typing import Any

import requests
from flask import Flask, Response, request, stream_with_context

MAX_TOKENS = 1024        # send_prompt's default max_tokens


def create_floor(vendor_url: str, api_key: str, timeout: tuple[float, float]) -> Flask:
    """Build the floor app for the vendor at vendor_url (the fake's root URL)."""
    app = Flask(__name__)
    url = f"{vendor_url.rstrip('/')}/v1/chat/completions"
    headers = {"Content-Type": "application/json", "Accept": "application/json", "Authorization": f"Bearer {api_key}"}
    sessions: dict[int, requests.Session] = {}

    def session() -> requests.Session:
        # One default session per worker, made after the fork (a pool must not cross it).
        pid = os.getpid()
        if pid not in sessions:
            sessions[pid] = requests.Session()
        return sessions[pid]

    def relay(body: dict[str, Any], stream: bool) -> Response:
        if stream:
            body = {**body, "stream": True, "stream_options": {"include_usage": True}}
        answer = session().post(url, json=body, headers=headers, timeout=timeout, stream=stream)
        if not stream:
            return Response(answer.content, status=answer.status_code, mimetype="application/json")

        def chunks():
            with answer:
                yield from answer.iter_content(chunk_size=None)
        return Response(stream_with_context(chunks()), status=answer.status_code, mimetype="text/event-stream")

    @app.post("/api/send_prompt")
    def send_prompt():
        body = request.get_json()
        _, _, model = body["model_names"][0].partition("/")
        return relay({"model": model, "messages": [{"role": "user", "content": body["prompt"]}],
                      "max_completion_tokens": body.get("max_tokens") or MAX_TOKENS}, bool(body.get("stream")))

    @app.post("/v1/chat/completions")
    def chat_completions():
        body = request.get_json()
        _, _, model = body["model"].partition("/")
        forwarded = {"model": model, "messages": body["messages"],
                     "max_completion_tokens": body.get("max_completion_tokens") or body.get("max_tokens")}
        return relay({k: v for k, v in forwarded.items() if v is not None}, bool(body.get("stream")))

    @app.get("/health")
    def health():
        return {"status": "ok"}

    return app


app = (create_floor(os.environ["FLOOR_VENDOR_URL"], os.environ.get("FLOOR_API_KEY", "sk-bench"),
                    (float(os.environ.get("PROVIDER_CONNECT_TIMEOUT", "3.05")),
                     float(os.environ.get("PROVIDER_TIMEOUT", "30"))))
       if "FLOOR_VENDOR_URL" in os.environ else None)
