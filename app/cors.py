"""CORS for /api/*: which origins may call, what a browser app may read, how long preflights last.

A fixed policy (one list of origins, no credentials mode) needs no per-request configuration
lookup: the header values are built once here and each answer costs a dict lookup or two
(flask-cors matched its resource patterns and rebuilt its options on every request, ~40 us).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, request

# Headers a browser app needs beyond the CORS-safelisted ones: the id to quote in a bug
# report, when to retry a 429/503 (and the limit behind our 429), and the catalog's validator for If-None-Match.
EXPOSED_HEADERS = ("X-Request-ID", "Retry-After", "ETag", "x-ratelimit-limit-requests", "x-ratelimit-remaining-requests",
                   "x-ratelimit-reset-requests")
API_PREFIX = "/api/"
# Offered in a preflight when the route does not say (an unknown path still gets a 404 after it).
DEFAULT_METHODS = "GET, HEAD, POST, OPTIONS"


class CorsPolicy:
    """Add CORS headers to /api/* answers: any origin ("*") or an allow-list."""

    def __init__(self, origins: list[str] | str, max_age: int):
        self.any_origin = origins == "*"
        if isinstance(origins, str):   # one origin given as a string (the factory's argument)
            origins = [origins]
        self.allowed = frozenset(() if self.any_origin else origins)
        self.exposed = ", ".join(EXPOSED_HEADERS)
        self.max_age = str(max_age)

    def __call__(self, response: Response) -> Response:
        """after_request: the headers this answer needs (preflights get methods, headers, max-age)."""
        environ = request.environ
        if not environ.get("PATH_INFO", "").startswith(API_PREFIX):
            return response
        headers = response.headers
        if not self.any_origin:
            # With an allow-list the answer depends on Origin (allowed or not), also for requests
            # without one, so a shared cache must key on it.
            response.vary.add("Origin")
        origin = environ.get("HTTP_ORIGIN")
        if self.any_origin:
            allow = "*"
        elif origin in self.allowed:
            allow = origin
        else:
            return response
        headers["Access-Control-Allow-Origin"] = allow
        if environ.get("REQUEST_METHOD") == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ:
            headers["Access-Control-Allow-Methods"] = headers.get("Allow") or DEFAULT_METHODS
            requested = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
            if requested:
                headers["Access-Control-Allow-Headers"] = requested
            headers["Access-Control-Max-Age"] = self.max_age
        else:
            headers["Access-Control-Expose-Headers"] = self.exposed
        return response


def init_app(app: Flask, settings: Mapping[str, Any]) -> None:
    """Answer CORS on /api/* for CORS_ORIGINS; preflights are cached CORS_MAX_AGE seconds."""
    app.after_request(CorsPolicy(settings["CORS_ORIGINS"], settings["CORS_MAX_AGE"]))
