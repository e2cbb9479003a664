"""OpenAI's error format for every failure under /v1, so SDKs raise the matching exception class.

``{"error": {"message", "type", "param", "code"}}``: the SDKs pick the class by status (400
BadRequestError, 401 AuthenticationError, 404 NotFoundError, 429 RateLimitError, ...) and show
the message; ``type`` and ``code`` follow OpenAI's own values where one exists.
"""
from __future__ import annotations

from typing import Any

from flask import Response

from app.errors import STATUS_CODES, Problem
from app.responses import json_response

TYPES = {400: "invalid_request_error", 401: "authentication_error", 402: "insufficient_quota",
         403: "permission_error", 429: "rate_limit_error"}
CODES = STATUS_CODES
UNKNOWN_FIELD = "Unknown field."


def error_type(status: int) -> str:
    """OpenAI's error type for a status: server_error for 5xx, invalid_request_error for other 4xx."""
    return TYPES.get(status) or ("server_error" if status >= 500 else "invalid_request_error")


def openai_error(problem: Problem) -> Response:
    """Answer a Problem in OpenAI's format (extra members, such as price_runner, beside ``error``)."""
    param, message = problem.param, problem.message
    if param is None and problem.fields:
        param, detail = first_field(problem.fields)
        message = (f"Unrecognized request argument supplied: {param}" if detail == UNKNOWN_FIELD
                   else f"Invalid value for {param}: {detail}" if param else f"Invalid request: {detail}")
    error = {"message": message, "type": error_type(problem.status), "param": param,
             "code": problem.code or CODES.get(problem.status)}
    return json_response({"error": error, **(problem.extra or {})}, problem.status, problem.headers)


def first_field(fields: Any, path: str = "") -> tuple[str | None, str]:
    """The first failing field of marshmallow's messages as a path (``messages[0].role``) and its message."""
    if isinstance(fields, dict) and fields:
        key = sorted(fields, key=str)[0]
        step = f"[{key}]" if isinstance(key, int) else (f".{key}" if path else str(key))
        return first_field(fields[key], path if key == "_schema" else path + step)
    if isinstance(fields, list) and fields:
        return first_field(fields[0], path)
    return (path or None), str(fields)
