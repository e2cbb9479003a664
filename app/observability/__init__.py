"""Observability: request ids, JSON logs, Prometheus metrics.

For other packages: ``current_request_id()`` (views), ``annotate_request(**fields)`` (adds
fields to this request's log line), ``observe_call(record)`` (the provider-call observer).
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from app.observability import views
from app.observability.access import FIELDS_KEY, ROUTE_KEY, UNMATCHED, ObservedApp
from app.observability.calls import observe_call
from app.observability.logs import configure_logging
from app.observability.metrics import metrics, multiprocess_mode, precreate
from app.observability.prompts import prompt_fields
from app.observability.request_id import ENVIRON_KEY, accept_or_generate, current_request_id
from app.redaction import redactor_of

__all__ = ["annotate_request", "current_request_id", "init_app", "init_logging", "observe_call"]


def init_logging(app: Flask, settings: Mapping[str, Any]) -> None:
    """JSON log lines on stdout; secrets that packages hold() later are redacted from them too."""
    configure_logging(settings["LOG_LEVEL"], redactor_of(app), settings["LOG_FLUSH_INTERVAL_MS"] / 1000)


def init_app(app: Flask, settings: Mapping[str, Any]) -> None:
    """The request observer (request ids, access lines, HTTP metrics); /metrics when enabled.

    Call it after any other WSGI middleware (ProxyFix), so it sees the client address they set.
    """
    enabled = settings["METRICS_ENABLED"]
    app.wsgi_app = ObservedApp(app.wsgi_app, metrics() if enabled else None)
    # First of all before_request hooks: rate limits and the 401 check log under this request id.
    app.before_request_funcs.setdefault(None, []).insert(0, _remember_request)
    if settings["LOG_PROMPTS"]:
        app.after_request(_log_prompts)
    if enabled:
        app.extensions[views.MULTIPROCESS_DIR] = (os.environ.get("PROMETHEUS_MULTIPROC_DIR")
                                                  if multiprocess_mode() else None)
        app.extensions[views.MASTER_PID] = os.getpid()   # under gunicorn (preload_app): the master
        precreate()
        app.register_blueprint(views.bp)
        app.extensions.setdefault("openapi.paths", {}).update(views.OPENAPI_PATHS)


def annotate_request(**fields: Any) -> None:
    """Add fields to the current request's JSON log line."""
    request.environ.setdefault(FIELDS_KEY, {}).update(fields)


def _remember_request() -> None:
    environ = request.environ
    if ENVIRON_KEY not in environ:   # ObservedApp sets it; this only covers an unwrapped app
        environ[ENVIRON_KEY] = accept_or_generate(request.headers.get("X-Request-ID"))
    g.request_id = environ[ENVIRON_KEY]
    environ[ROUTE_KEY] = request.url_rule.rule if request.url_rule is not None else UNMATCHED


def _log_prompts(response: Response) -> Response:
    if request.method != "POST":   # prompts only come in POST bodies; skip parsing catalog answers
        return response
    fields = prompt_fields(_request_json(),
                           None if response.is_streamed or not response.is_json else response.get_json(silent=True))
    if fields:
        annotate_request(**fields)
    return response


def _request_json():
    try:
        return request.get_json(silent=True) if request.is_json else None
    except HTTPException:   # a body over MAX_CONTENT_LENGTH: already answered 413, not read again
        return None
