"""Request bodies: strict JSON decoding, and the size cap held for chunked bodies too."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import orjson
from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import RequestEntityTooLarge


class BodyNotJSON(ValueError):
    """The body is not JSON this service accepts; the message says why and where."""


def parse_json(body: bytes | str) -> Any:
    """Decode a request body, or raise BodyNotJSON.

    orjson refuses what Python's json lets through and the service could not handle later:
    lone surrogates (``"\\ud800"`` is no Unicode text: it cannot be echoed, logged, counted
    or forwarded), nesting past 1,024 levels (json recurses into a RecursionError), NaN,
    Infinity and bytes that are not UTF-8.
    """
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BodyNotJSON(f"{exc.msg} (line {exc.lineno}, column {exc.colno})") from None


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, decoding with parse_json (request.get_json anywhere in the app)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return parse_json(s)


def init_app(app: Flask) -> None:
    """Decode bodies strictly and answer 413 to any body over MAX_CONTENT_LENGTH, chunked or not."""
    app.json = StrictJSONProvider(app)
    app.wsgi_app = CapStreamedBodies(app.wsgi_app, lambda: app.config["MAX_CONTENT_LENGTH"])


class CapStreamedBodies:
    """WSGI middleware: a body without Content-Length (chunked) over the cap is a 413, not cut.

    werkzeug reads such a body up to MAX_CONTENT_LENGTH and stops there without looking
    further, so a longer body reached the view cut short (and failed as invalid JSON).
    """

    def __init__(self, app: Callable, limit: Callable[[], int | None]):
        self._app, self._limit = app, limit

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        limit = self._limit()
        if limit is not None and not environ.get("CONTENT_LENGTH") and environ.get("wsgi.input_terminated"):
            environ["wsgi.input"] = _CappedInput(environ["wsgi.input"], limit)
        return self._app(environ, start_response)


class _CappedInput:
    """A wsgi.input that raises 413 once more than limit bytes arrive (peeking one byte at the cap)."""

    def __init__(self, stream: Any, limit: int):
        self._stream, self._left = stream, limit

    def read(self, size: int | None = -1) -> bytes:
        return self._checked(self._stream.read(-1 if size is None else size))

    def readline(self, size: int | None = -1) -> bytes:
        return self._checked(self._stream.readline(-1 if size is None else size))

    def __iter__(self):
        return iter(self.readline, b"")

    def _checked(self, data: bytes) -> bytes:
        self._left -= len(data)
        # At exactly the cap, one more byte tells a body that ends there from a longer one.
        if self._left < 0 or (self._left == 0 and data and self._stream.read(1)):
            raise RequestEntityTooLarge()
        return data
