"""Logs: one JSON object per line on stdout, credentials redacted from every line.

Records carry structured fields in ``extra={"fields": {...}}`` (request and provider-call
lines); any other record becomes ``{"time", "level", "message", ...}``.
"""
from __future__ import annotations

import functools
import logging
import math
import sys
import threading
from collections.abc import Iterable
from datetime import datetime, timezone

import orjson

from app.redaction import Redactor
from app.observability.request_id import current_request_id

# The app's own loggers, and the rate limiter's (storage failures, fallbacks).
LOGGERS = ("app", "flask-limiter")


class JsonFormatter(logging.Formatter):
    """Format a record as one compact JSON object, then redact it."""

    def __init__(self, redactor: Redactor | None = None):
        super().__init__()
        self._redact = redactor or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        line: dict = {"time": _iso(record.created), "level": record.levelname}
        fields = getattr(record, "fields", None)
        if fields:
            line.update(fields)
        else:
            line["message"] = record.getMessage()
            request_id = getattr(record, "request_id", None)
            if request_id:
                line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        line["logger"] = record.name
        line["pid"] = record.process
        return self._redact(orjson.dumps(line, default=str).decode())


class RequestIdFilter(logging.Filter):
    """Stamp records logged while serving a request with its id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class StdoutHandler(logging.StreamHandler):
    """Write to whatever sys.stdout is at emit time (test capture swaps it)."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value) -> None:   # StreamHandler assigns it; the property always wins
        pass


_handler: StdoutHandler | None = None
_lock = threading.Lock()


def configure_logging(level: str, secrets: Redactor | Iterable[str] = ()) -> None:
    """Send the app's logs to stdout as JSON lines at the given level (idempotent).

    ``secrets`` is a Redactor (which may learn more secrets later) or the values to scrub.
    """
    global _handler
    # The logging HOWTO's "Optimization" settings for what our lines never show (caller's file
    # and line, thread and process names): each request's line skips a stack walk and lookups.
    logging._srcfile = None
    logging.logThreads = False
    logging.logMultiprocessing = False
    with _lock:
        if _handler is None:
            _handler = StdoutHandler()
            _handler.addFilter(RequestIdFilter())
        _handler.setFormatter(JsonFormatter(secrets if isinstance(secrets, Redactor) else Redactor(secrets)))
        for name in LOGGERS:
            logger = logging.getLogger(name)
            # The limiter logs every breach at INFO; the request line already shows each 429.
            logger.setLevel(level if name == "app" else max(logging.WARNING, _numeric(level)))
            if _handler not in logger.handlers:
                logger.addHandler(_handler)


def _numeric(level: str) -> int:
    return logging.getLevelNamesMapping().get(level, logging.INFO)


def _iso(created: float) -> str:
    """Format a timestamp as 2026-12-01T01:02:03.456Z (the second is formatted once, then reused)."""
    fraction, second = math.modf(created)   # rounded to the microsecond as datetime does
    micros = round(fraction * 1e6)
    if micros >= 1_000_000:
        second, micros = second + 1, micros - 1_000_000
    return f"{_second(int(second))}.{micros // 1000:03d}Z"


@functools.lru_cache(maxsize=4)
def _second(second: int) -> str:
    return datetime.fromtimestamp(second, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
