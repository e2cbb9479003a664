"""send_prompt's streamed side: vendor streams in pool threads, their deltas handed to the request thread."""
from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from app.providers.base import Adapter, Completion, PromptRequest
from app.providers.errors import ProviderError
from app.providers.sessions import session_for
from app.routing.items import json_safe
from app.providers.stream_events import ChoiceText
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


def delta(model_id: str, piece: Any) -> dict[str, Any]:
    """A delta event's data: ``{"id", "text"}`` for text; a tool-call delta (an object with
    ``tool_calls``, OpenAI's delta tool_calls dicts) as ``{"id", "tool_calls"}``."""
    if isinstance(piece, str):
        return {"id": model_id, "text": json_safe(piece)}
    if isinstance(piece, ChoiceText):   # only /v1 asks for several choices (n > 1)
        return {"id": model_id, "index": piece.index, "text": json_safe(piece.text)}
    return {"id": model_id, "tool_calls": piece.tool_calls}


def put(feed: queue.SimpleQueue, position: int, text: str) -> None:
    """Hand a delta of the call at ``position`` to the request thread."""
    feed.put((position, text))


def stream_answer(adapter: Adapter, request: PromptRequest, vendor_key: str, limits: StreamLimits,
                  emit: Callable[[str], None], deadline: float, cancel: threading.Event) -> Completion:
    """Stream one answer in a pool thread, handing each delta to emit; return its Completion.

    A failure after the first token carries what was streamed (``partial``), so the call is
    recorded with the tokens the vendor likely bills rather than at 0.
    """
    with open_stream(adapter, request, session_for(vendor_key), limits, cancel) as tokens:
        try:
            for text in tokens:
                emit(text)
        except ProviderError as exc:
            exc.partial = tokens.partial
            raise
    return tokens.completion
