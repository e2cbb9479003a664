"""CORS for /api/*: which origins may call, what a browser app may read, how long preflights last."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, request
from flask_cors import CORS

# Headers a browser app needs beyond the CORS-safelisted ones: the id to quote in a bug
# report, when to retry a 429/503, and the catalog's validator for If-None-Match.
EXPOSED_HEADERS = ("X-Request-ID", "Retry-After", "ETag")
API_PATHS = r"/api/*"


def init_app(app: Flask, settings: Mapping[str, Any]) -> None:
    """Answer CORS on /api/* for CORS_ORIGINS; preflights are cached CORS_MAX_AGE seconds."""
    origins = settings["CORS_ORIGINS"]
    # flask-cors says Vary: Origin only when several origins could match; _vary_on_origin says it always.
    CORS(app, resources={API_PATHS: {"origins": origins}}, send_wildcard=origins == "*",
         expose_headers=list(EXPOSED_HEADERS), max_age=settings["CORS_MAX_AGE"], vary_header=False)
    if origins != "*":
        app.after_request(_vary_on_origin)


def _vary_on_origin(response: Response) -> Response:
    # With an allow-list the answer depends on Origin (allowed or not), also for a single
    # origin and for requests without one, so a shared cache must key on it.
    if request.path.startswith("/api/"):
        response.vary.add("Origin")
    return response
