"""The floor Price Runner is measured against: a bare Flask app under the same gunicorn config.

It serves exactly the bytes Price Runner would for the same requests, so the difference in
req/s is what our code costs (routing, validation, counting, ranking), not payload size.
``/encode/api/get_best_price_for_prompt`` also encodes the prompt once with o200k_base: the
floor for a long prompt, whose count no service can skip.
"""
from __future__ import annotations

import json
import os

from flask import Flask, Response, request

LONG_AT = 1000   # prompts at least this long get the long-prompt answer


def create_baseline(payload_file: str) -> Flask:
    """Build the bare app from a JSON file of {path: response text}."""
    with open(payload_file, encoding="utf-8") as handle:
        payloads = {path: body.encode() for path, body in json.load(handle).items()}
    app = Flask(__name__)
    encoding = _o200k()

    @app.get("/health")
    def health():
        return Response(payloads["/health"], mimetype="application/json")

    @app.get("/api/models")
    def models():
        return Response(payloads["/api/models"], mimetype="application/json")

    @app.post("/api/get_best_price_for_prompt")
    def price():
        body = request.get_json()   # parse the same body, as the real endpoint must
        return Response(payloads["long" if len(body["prompt"]) >= LONG_AT else "short"], mimetype="application/json")

    @app.post("/encode/api/get_best_price_for_prompt")
    def price_and_encode():
        body = request.get_json()
        encoding.encode_ordinary(body["prompt"])   # one raw o200k encode, nothing else
        return Response(payloads["long" if len(body["prompt"]) >= LONG_AT else "short"], mimetype="application/json")

    return app


def _o200k():
    import tiktoken   # reads TIKTOKEN_CACHE_DIR, as the service does

    return tiktoken.get_encoding("o200k_base")


app = create_baseline(os.environ["BASELINE_PAYLOADS"]) if "BASELINE_PAYLOADS" in os.environ else None
