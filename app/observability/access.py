"""WSGI middleware: a request id, one JSON log line and the HTTP metrics for every request.

It wraps the whole app (outside ProxyFix), so it sees every response, errors included, and
times a streamed body until its last byte. Flask hooks add what only Flask knows (the
route, the caller) to ``environ[FIELDS_KEY]``.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator

from app.errors import OURS, PROBLEM_KEY, Problem, field_paths, status_reason
from app.observability.metrics import Metrics
from app.observability.request_id import ENVIRON_KEY, HEADER, accept_or_generate

log = logging.getLogger("app.access")
FIELDS_KEY = "price_runner.log_fields"   # extra fields for this request's log line
ROUTE_KEY = "price_runner.route"         # the matched rule, e.g. /api/models/provider/<provider>
UNMATCHED = "<unmatched>"                # 404s: one label value, whatever the path
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class ObservedApp:
    """Wrap a WSGI app: accept or generate X-Request-ID, echo it, log and count the request."""

    def __init__(self, app: Callable, metrics: Metrics | None):
        self._app = app
        self._metrics = metrics
        # (route, method, status, origin) -> its two series: labels() validates and locks on every call.
        # Bounded: routes are the app's rules, methods a fixed set, statuses three digits, two origins.
        self._series: dict[tuple[str, str, str, str], tuple] = {}

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        request_id = accept_or_generate(environ.get("HTTP_X_REQUEST_ID"))
        environ[ENVIRON_KEY] = request_id
        status: list[int] = []

        def start(status_line: str, headers: list, exc_info=None):
            status[:] = [int(status_line[:3])]
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append((HEADER, request_id))
            return start_response(status_line, headers, exc_info)

        if self._metrics:
            self._metrics.http_in_flight.inc()
        finish = _Once(lambda: self._finish(environ, status[0] if status else 500, started))
        try:
            body = self._app(environ, start)
        except BaseException:
            finish()
            raise
        return _Body(body, finish)

    def _finish(self, environ: dict, status: int, started: float) -> None:
        elapsed = time.perf_counter() - started
        method = environ.get("REQUEST_METHOD", "")
        problem: Problem | None = environ.get(PROBLEM_KEY) if status >= 400 else None
        origin = "" if status < 400 else problem.origin if problem is not None else OURS
        if self._metrics:
            labels = (environ.get(ROUTE_KEY, UNMATCHED), method if method in METHODS else "other", str(status), origin)
            series = self._series.get(labels)
            if series is None:
                series = self._series[labels] = (self._metrics.http_requests.labels(*labels),
                                                 self._metrics.http_duration.labels(*labels[:3]))
            self._metrics.http_in_flight.dec()
            series[0].inc()
            series[1].observe(elapsed)
        fields = {"event": "request", "request_id": environ[ENVIRON_KEY], "method": method,
                  "path": _path(environ), "status": status, "duration_ms": round(elapsed * 1000, 2),
                  "client": environ.get("REMOTE_ADDR"), **environ.get(FIELDS_KEY, {})}
        if status >= 400:
            fields.update(error_fields(status, problem, origin))
        log.info("request", extra={"fields": fields, "request_id": environ[ENVIRON_KEY]})


def error_fields(status: int, problem: Problem | None, origin: str) -> dict:
    """Why a request failed, for its log line: code, origin, the failing fields' names, and the
    message only when it is our own fixed text (never vendor text, values, prompts or keys)."""
    if problem is None:   # answered outside the error handler (a view's own status, such as /ready's 503)
        return {"error_code": status_reason(status), "error_origin": origin}
    fields: dict = {"error_code": problem.reason, "error_origin": origin}
    names = field_paths(problem.fields) if problem.fields else []
    if problem.param and problem.param not in names:
        names.insert(0, problem.param[:64])
    if names:
        fields["error_fields"] = names
    if problem.fixed:
        fields["error_message"] = problem.message
    return fields


class _Once:
    def __init__(self, action: Callable[[], None]):
        self._action = action

    def __call__(self) -> None:
        action, self._action = self._action, None
        if action is not None:
            action()


class _Body:
    """The response body, reporting when it has been sent in full or closed (whichever first)."""

    def __init__(self, body: Iterable[bytes], finish: _Once):
        self._body, self._finish = body, finish

    def __iter__(self) -> Iterator[bytes]:
        yield from self._body
        self._finish()

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._finish()


def _path(environ: dict) -> str:
    # WSGI carries the path as latin-1-decoded bytes; the query string is left out (it may hold a key).
    raw = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    return raw.encode("latin-1", "replace").decode("utf-8", "replace")
