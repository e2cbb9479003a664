"""Refuse, in the path's error format, a request the gunicorn worker could not start in time.

The worker (app/admission_worker.py) decides; it marks such a request in its WSGI environ and
runs it through the app only so that the refusal is the same JSON (our envelope, OpenAI's under
/v1) with the same request id, log line and metrics as every other answer. No view runs for it.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, request

from app.errors import APIError

ENVIRON_KEY = "price_runner.admission"   # REFUSED: no request thread within ADMISSION_WAIT_S
REFUSED = "refused"
OPS_PATHS = frozenset({"/health", "/ready"})   # answered on the worker's reserved threads, never refused
RETRY_AFTER_S = 1


def init_app(app: Flask, settings: Mapping[str, Any]) -> None:
    """Refuse marked requests before authentication, rate limits or any view."""
    app.before_request(refuse_when_full)


def refuse_when_full() -> None:
    """before_request: 503 with Retry-After for a request the worker marked refused."""
    if request.environ.get(ENVIRON_KEY) == REFUSED and request.path not in OPS_PATHS:
        raise APIError(503, "This instance is at capacity: every request thread is busy. Retry shortly.",
                       headers={"Retry-After": str(RETRY_AFTER_S)}, code="overloaded")
