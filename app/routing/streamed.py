"""send_prompt's streamed side: vendor streams in pool threads, their deltas handed to the request thread."""
from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from app.providers.base import Adapter, Completion, PromptRequest
from app.providers.sessions import session_for
from app.providers.streaming import StreamLimits, open_stream


class Events:
    """A stream's events; ``close()`` (called when the response closes, iterated or not) cancels
    what is left and frees the stream slot, once."""

    def __init__(self, events: Iterator[tuple[str, dict[str, Any] | None]], stop: Callable[[], None]):
        self._events, self._stop = events, stop
        self._closed = False

    def __iter__(self) -> Events:
        return self

    def __next__(self) -> tuple[str, dict[str, Any] | None]:
        return next(self._events)

    def close(self) -> None:
        """Stop the events and cut the calls still streaming (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._events.close()
        finally:
            self._stop()


def put(feed: queue.SimpleQueue, position: int, text: str) -> None:
    """Hand a delta of the call at ``position`` to the request thread."""
    feed.put((position, text))


def stream_answer(adapter: Adapter, request: PromptRequest, vendor_key: str, limits: StreamLimits,
                  emit: Callable[[str], None], deadline: float, cancel: threading.Event) -> Completion:
    """Stream one answer in a pool thread, handing each delta to emit; return its Completion."""
    with open_stream(adapter, request, session_for(vendor_key), limits, cancel) as tokens:
        for text in tokens:
            emit(text)
    return tokens.completion
