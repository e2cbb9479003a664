"""Logs: one JSON object per line on stdout, credentials redacted from every line.

Records carry structured fields in ``extra={"fields": {...}}`` (request and provider-call
lines); any other record becomes ``{"time", "level", "message", ...}``.
"""
from __future__ import annotations

import atexit
import collections
import functools
import json
import logging
import math
import os
import sys
import threading
import time
import weakref
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
    """Format each record in the logging thread; write the lines to whatever sys.stdout is at
    write time (test capture swaps it), at once or in batches by a writer thread (LineWriter)."""

    def __init__(self):
        super().__init__()
        self.writer = LineWriter(self)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)
            return
        self.writer.put(line)

    def write_lines(self, text: str) -> None:
        """Write and flush (called by the writer, under its lock)."""
        try:
            self.stream.write(text)
        except UnicodeEncodeError:   # a stdout that is not UTF-8: the same JSON, ASCII-escaped
            self.stream.write("".join(json.dumps(json.loads(line)) + self.terminator
                                      for line in text.splitlines()))
        self.flush()

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value) -> None:   # StreamHandler assigns it; the property always wins
        pass


class LineWriter:
    """Take the syscall off the request thread: lines are queued and one thread per process writes
    them every ``interval_s`` in one write and flush (0: each line at once, in the calling thread).

    A write to stdout releases the GIL and must win it back: with every request thread logging,
    that hand-off cost more than the line itself. Lines still queued when the process exits are
    written by an atexit hook; a killed process loses at most one interval of lines.
    """

    def __init__(self, handler: StdoutHandler, interval_s: float = 0.0):
        self._handler, self.interval_s = handler, interval_s
        self._pending: collections.deque[str] = collections.deque()
        self._lock = threading.Lock()
        self._pid: int | None = None
        _WRITERS.add(self)

    def put(self, line: str) -> None:
        if self.interval_s <= 0:
            with self._lock:
                self._handler.write_lines(line)
            return
        self._pending.append(line)   # deque.append is atomic: no lock on the request thread
        if self._pid != os.getpid():
            self._start()

    def _start(self) -> None:
        with self._lock:
            if self._pid != os.getpid():   # threads do not survive a fork: one per process
                self._pid = os.getpid()
                threading.Thread(target=self._run, name="log-writer", daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(self.interval_s)
            self.flush()

    def flush(self) -> None:
        """Write every queued line now, in order."""
        with self._lock:
            lines = []
            while self._pending:
                lines.append(self._pending.popleft())
            if lines:
                self._handler.write_lines("".join(lines))

    def forget(self) -> None:
        """After a fork: the parent writes what it had queued, and a lock the parent's writer held
        at the fork would never be released here: start with a new one."""
        self._lock = threading.Lock()
        self._pending.clear()
        self._pid = None


_WRITERS: weakref.WeakSet[LineWriter] = weakref.WeakSet()


def flush_lines() -> None:
    """Write every queued log line now (tests, shutdown)."""
    for writer in list(_WRITERS):
        writer.flush()


atexit.register(flush_lines)
os.register_at_fork(after_in_child=lambda: [writer.forget() for writer in list(_WRITERS)])


_handler: StdoutHandler | None = None
_lock = threading.Lock()


def configure_logging(level: str, secrets: Redactor | Iterable[str] = (), flush_interval_s: float = 0.0) -> None:
    """Send the app's logs to stdout as JSON lines at the given level (idempotent).

    ``secrets`` is a Redactor (which may learn more secrets later) or the values to scrub;
    ``flush_interval_s`` batches the writes (0: each line at once).
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
        _handler.writer.flush()
        _handler.writer.interval_s = flush_interval_s
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
