"""Logs: one JSON object per line on stdout, credentials redacted from every line.

Records carry structured fields in ``extra={"fields": {...}}`` (request and provider-call
lines); any other record becomes ``{"time", "level", "message", ...}``.
"""
from __future__ import annotations

import functools
import json
import logging
import math
import sys
import threading
import time
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

import orjson

from app.redaction import Redactor
from app.observability.request_id import current_request_id

# The app's own loggers, and the rate limiter's (storage failures, fallbacks).
LOGGERS = ("app", "flask-limiter")


class JsonFormatter(logging.Formatter):
    """Format a record as one compact JSON object, then redact it; never raise, whatever it holds."""

    def __init__(self, redactor: Redactor | None = None):
        super().__init__()
        self._redact = redactor or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        try:
            line = self._line(record)
        except Exception as exc:   # a record that cannot even be read: say so, in one line
            line = {"time": _iso(time.time()), "level": "ERROR", "message": f"unloggable record: {_text(exc)}",
                    "logger": _text(getattr(record, "name", None))}
        for key, value in line.items():
            if type(value) is str and len(value) > MAX_TEXT:
                # Redact before cutting, so a secret that straddles the cut cannot leave half of itself.
                line[key] = _cut(self._redact(value))
        return self._redact(_encode(line))

    def _line(self, record: logging.LogRecord) -> dict:
        line: dict = {"time": _iso(record.created), "level": record.levelname}
        fields = getattr(record, "fields", None)
        if fields:
            line.update(fields)
        else:
            line["message"] = _message(record)
            request_id = getattr(record, "request_id", None)
            if request_id:
                line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        line["logger"] = record.name
        line["pid"] = record.process
        return line


MAX_TEXT = 64 * 1024     # characters of one string (a message, a traceback) kept in a line
MAX_DEPTH = 16           # nesting kept in a line's values; deeper values become their text


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:   # arguments that do not fit the format, or a __str__ that raises
        return f"{_text(record.msg)} {_text(record.args)}"


def _encode(line: dict) -> str:
    """One JSON object; values orjson cannot take (lone surrogates, huge ints...) are made plain."""
    try:
        return orjson.dumps(line, default=_text).decode()
    except Exception:
        return orjson.dumps(_plain(line, 0)).decode()


def _plain(value: Any, depth: int) -> Any:
    """value as JSON-safe data: valid Unicode, 64-bit ints, bounded depth and length."""
    if value is None or isinstance(value, (bool, float)):
        return value
    if isinstance(value, int):
        return value if -(2 ** 63) <= value < 2 ** 64 else str(value)
    if isinstance(value, str):
        return _cut(value.encode("utf-8", "backslashreplace").decode("utf-8"))
    if depth < MAX_DEPTH and isinstance(value, dict):
        return {_plain(_text(key), depth): _plain(item, depth + 1) for key, item in value.items()}
    if depth < MAX_DEPTH and isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(item, depth + 1) for item in value]
    return _plain(_text(value), depth)


def _text(value: Any) -> str:
    """str(value), or a placeholder when its __str__ raises."""
    try:
        return str(value)
    except Exception as exc:
        return f"<unprintable {type(value).__name__}: {type(exc).__name__}>"


def _cut(text: str) -> str:
    return text if len(text) <= MAX_TEXT else f"{text[:MAX_TEXT]}... [{len(text) - MAX_TEXT} more chars]"


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

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
            try:
                self.stream.write(line)
            except UnicodeEncodeError:   # a stdout that is not UTF-8: the same JSON, ASCII-escaped
                self.stream.write(json.dumps(json.loads(line)) + self.terminator)
            self.flush()
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)

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
