"""The one JSON error envelope, produced in one place for every failure.

``{"success": false, "error": {"code": <status>, "message": "...", "fields": {...}?}}``
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from app.responses import json_response

log = logging.getLogger(__name__)


class APIError(Exception):
    """An error a view raises on purpose, with the status and message the client sees."""

    def __init__(self, status: int, message: str, fields: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.fields, self.headers = status, message, fields, headers or {}


def error_response(status: int, message: str, fields: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    """Build the JSON error envelope."""
    error: dict[str, Any] = {"code": status, "message": message}
    if fields:
        error["fields"] = fields
    return json_response({"success": False, "error": error}, status, headers)


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
    return error_response(exc.code or 500, message, headers=headers)


def _api_error(exc: APIError) -> Response:
    return error_response(exc.status, exc.message, exc.fields, exc.headers)


def _unexpected(exc: Exception) -> Response:
    log.exception("unhandled error")  # the traceback goes to the log, never to the client
    return error_response(500, "Internal server error.")


def init_app(app: Flask) -> None:
    """Route every HTTP error and unexpected exception to the JSON envelope."""
    app.register_error_handler(APIError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
