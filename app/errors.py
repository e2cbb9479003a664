"""Every failure as JSON, produced in one place; the format depends on the path prefix.

The API's envelope everywhere, ``{"success": false, "error": {"code": <status>, "message": "...",
"fields": {...}?}}``, except under prefixes a package registers its own format for (``/v1``:
OpenAI's ``{"error": {"message", "type", "param", "code"}}``, app/gateway/errors.py).
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, has_request_context, request
from werkzeug.exceptions import HTTPException

from app.responses import json_response

log = logging.getLogger(__name__)
FORMATS = "error_formats"   # app.extensions key: {path prefix: formatter}
PROBLEM_KEY = "price_runner.problem"   # WSGI environ key: the Problem this request was answered with
OURS, VENDOR = "price_runner", "vendor"   # who caused an error: we did, or a vendor did and we pass it on
# Machine-readable reasons by status, where a Problem names none (OpenAI's values where it has one).
STATUS_CODES = {401: "invalid_api_key", 402: "insufficient_quota", 404: "not_found", 405: "method_not_allowed",
                409: "idempotency_key_in_use", 413: "request_too_large", 415: "unsupported_media_type",
                422: "idempotency_key_reused", 429: "rate_limit_exceeded", 503: "service_unavailable",
                504: "timeout"}


@dataclass(frozen=True)
class Problem:
    """One failure, before any format: what every error format is built from."""

    status: int
    message: str
    fields: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    param: str | None = None      # the one request field to blame, when a format names one
    code: str | None = None       # a machine-readable reason, when a format carries one
    extra: dict[str, Any] | None = None   # more top-level members for formats that allow them
    origin: str = OURS            # VENDOR when the status passes on a vendor's failure
    fixed: bool = False           # the message is our own fixed text (no client or vendor text): loggable

    @property
    def reason(self) -> str:
        """The machine-readable reason: the code, else a name for the status."""
        return self.code or status_reason(self.status)


def status_reason(status: int) -> str:
    """A machine-readable name for a status: OpenAI's code where it has one, else the phrase (``bad_request``)."""
    if status in STATUS_CODES:
        return STATUS_CODES[status]
    try:
        return re.sub(r"[^a-z0-9]+", "_", HTTPStatus(status).phrase.lower().replace("'", "")).strip("_")
    except ValueError:
        return str(status)


Formatter = Callable[[Problem], Response]


class APIError(Exception):
    """An error a view raises on purpose, with the status and message the client sees."""

    def __init__(self, status: int, message: str, fields: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None, *, param: str | None = None, code: str | None = None,
                 extra: dict[str, Any] | None = None, origin: str = OURS, fixed: bool = False):
        super().__init__(message)
        self.status, self.message, self.fields, self.headers = status, message, fields, headers or {}
        self.param, self.code, self.extra = param, code, extra
        self.origin, self.fixed = origin, fixed


def envelope(problem: Problem) -> Response:
    """The API's own JSON error envelope."""
    error: dict[str, Any] = {"code": problem.status, "message": problem.message}
    if problem.fields:
        error["fields"] = problem.fields
    return json_response({"success": False, "error": error}, problem.status, problem.headers)


def error_response(status: int, message: str, fields: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None, **details: Any) -> Response:
    """Build the error in the format of this request's path (the envelope outside a request)."""
    problem = Problem(status, message, fields, headers or {}, **details)
    if has_request_context():
        request.environ[PROBLEM_KEY] = problem   # for the access log line and the HTTP metrics
    return _formatter()(problem)


def field_paths(fields: Any, prefix: str = "", limit: int = 20) -> list[str]:
    """The names of the failing fields in marshmallow's messages, as paths (``messages[0].role``)."""
    paths: list[str] = []
    if isinstance(fields, dict):
        for key in sorted(fields, key=str):
            step = f"[{key}]" if isinstance(key, int) else (f".{key}" if prefix else str(key))[:64]
            inner = fields[key]
            here = prefix if key == "_schema" else prefix + step
            nested = field_paths(inner, here, limit - len(paths)) if isinstance(inner, dict) else []
            paths += nested or ([here] if here else [])
            if len(paths) >= limit:
                break
    return paths[:limit]


def register_format(app: Flask, prefix: str, formatter: Formatter) -> None:
    """Answer every error under ``prefix`` (the path itself and below it) with formatter."""
    app.extensions.setdefault(FORMATS, {})[prefix.rstrip("/")] = formatter


def _formatter() -> Formatter:
    if not has_request_context():
        return envelope
    path = request.path
    for prefix, formatter in current_app.extensions.get(FORMATS, {}).items():
        if path == prefix or path.startswith(prefix + "/"):
            return formatter
    return envelope


# Friendlier wording than werkzeug's HTML-oriented descriptions.
MESSAGES = {
    400: "The request is malformed.",
    404: "No such resource.",
    405: "Method not allowed on this resource.",
    413: "The request body is too large.",
    415: "The request body must be JSON (Content-Type: application/json).",
    500: "Internal server error.",
}


def _http_error(exc: HTTPException) -> Response:
    headers = {k: v for k, v in exc.get_headers() if k.lower() in {"allow", "retry-after", "www-authenticate"}}
    message = MESSAGES.get(exc.code or 500, exc.description or exc.name)
    # Our wording, or werkzeug's own description of the status (not one a raiser wrote): safe to log.
    fixed = exc.code in MESSAGES or exc.description == type(exc).description
    return error_response(exc.code or 500, message, headers=headers, fixed=fixed)


def _api_error(exc: APIError) -> Response:
    return error_response(exc.status, exc.message, exc.fields, exc.headers, param=exc.param, code=exc.code,
                          extra=exc.extra, origin=exc.origin, fixed=exc.fixed)


def _unexpected(exc: Exception) -> Response:
    log.exception("unhandled error")  # the traceback goes to the log, never to the client
    return error_response(500, "Internal server error.", fixed=True)


def init_app(app: Flask) -> None:
    """Route every HTTP error and unexpected exception to the JSON error of its path."""
    app.register_error_handler(APIError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
