"""The floor Price Runner is measured against: a bare Flask app under the same gunicorn config.

It serves exactly the bytes Price Runner would for the same requests, so the difference in
req/s is what our code costs (routing, validation, counting, ranking), not payload size.
"""
from __future__ import annotations

import json
import os

from flask import Flask, Response, request


def create_baseline(payload_file: str) -> Flask:
    """Build the bare app from a JSON file of {path: response text}."""
    with open(payload_file, encoding="utf-8") as handle:
        payloads = {path: body.encode() for path, body in json.load(handle).items()}
    app = Flask(__name__)

    @app.get("/health")
    def health():
        return Response(payloads["/health"], mimetype="application/json")

    @app.get("/api/models")
    def models():
        return Response(payloads["/api/models"], mimetype="application/json")

    @app.post("/api/get_best_price_for_prompt")
    def price():
        body = request.get_json()   # parse the same body, as the real endpoint must
        key = f"/api/get_best_price_for_prompt:{len(body['prompt'])}"
        return Response(payloads[key], mimetype="application/json")

    return app


app = create_baseline(os.environ["BASELINE_PAYLOADS"]) if "BASELINE_PAYLOADS" in os.environ else None
