"""OpenAI's streamed chat completion on the wire: chat.completion.chunk events, then ``data: [DONE]``.

Each event is one ``data:`` line of JSON (our JSON never holds a raw newline). The first chunk
carries ``delta.role``; text arrives as ``delta.content``, tool-call deltas as ``delta.tool_calls``;
the chunk with ``finish_reason`` has an empty delta; with ``stream_options.include_usage`` a last
chunk has empty ``choices`` and the ``usage``. A failure after the first chunk is an error event
(``{"error": {...}}``), after which the stream ends without ``[DONE]``: OpenAI's SDKs raise it.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from app.responses import dumps

DONE = b"data: [DONE]\n\n"
CHUNK = "chat.completion.chunk"


def event(payload: Any) -> bytes:
    """One Server-Sent Event carrying a JSON payload."""
    return b"data: " + dumps(payload) + b"\n\n"


def delta_of(piece: Any) -> dict[str, Any] | None:
    """The ``delta`` for a piece of the answer: text (a str, or a delta event's ``{"text"}``), or a
    tool-call delta (anything with ``tool_calls``, duck-typed, or ``{"tool_calls"}``); None if empty."""
    if isinstance(piece, str):
        return {"content": piece} if piece else None
    if isinstance(piece, Mapping):
        if piece.get("text"):
            return {"content": piece["text"]}
        calls = piece.get("tool_calls")
    else:
        calls = getattr(piece, "tool_calls", None)
    return {"tool_calls": list(calls)} if calls else None


class Chunks:
    """The chunks of one streamed completion (the same id, created and model on each)."""

    def __init__(self, completion_id: str, created: int, model: str):
        self._head = {"id": completion_id, "object": CHUNK, "created": created, "model": model,
                      "system_fingerprint": None}

    def role(self, index: int = 0) -> bytes:
        """A choice's first chunk: the assistant's role (and empty content, as OpenAI sends it)."""
        return self._choice({"role": "assistant", "content": ""}, index=index)

    def delta(self, piece: Any) -> bytes | None:
        """A chunk for a text or tool-call delta (of choice ``piece["index"]``, 0 by default); None if empty."""
        found = delta_of(piece)
        index = piece.get("index", 0) if isinstance(piece, Mapping) else 0
        return None if found is None else self._choice(found, index=index)

    def finish(self, reason: str, extra: Mapping[str, Any] | None = None, index: int = 0) -> bytes:
        """The chunk with ``finish_reason`` (and ``price_runner`` when no usage chunk follows)."""
        return self._choice({}, reason, extra, index)

    def usage(self, usage: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> bytes:
        """The last chunk with include_usage: no choices, the usage (and ``price_runner``)."""
        return event({**self._head, "choices": [], "usage": usage, **(extra or {})})

    def _choice(self, delta: Mapping[str, Any], finish_reason: str | None = None,
                extra: Mapping[str, Any] | None = None, index: int = 0) -> bytes:
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return event({**self._head, "choices": [choice], **(extra or {})})


def error_event(message: str, code: str, extra: Mapping[str, Any] | None = None) -> bytes:
    """An in-stream failure in OpenAI's error format (``server_error``), with anything extra beside it."""
    return event({"error": {"message": message, "type": "server_error", "param": None, "code": code},
                  **(extra or {})})


def replayed(completion: Mapping[str, Any], include_usage: bool) -> Iterator[bytes]:
    """A recorded chat.completion again as chunks: role, its content, finish, usage, [DONE]."""
    chunks = Chunks(completion["id"], completion["created"], completion["model"])
    served = {"price_runner": completion["price_runner"]}
    last = len(completion["choices"]) - 1
    for index, choice in enumerate(completion["choices"]):
        message = choice["message"]
        yield chunks.role(index)
        if message.get("content"):
            yield chunks.delta({"index": index, "text": message["content"]})
        if message.get("tool_calls"):
            calls = [{"index": i, **call} for i, call in enumerate(message["tool_calls"])]
            yield chunks.delta({"index": index, "tool_calls": calls})
        yield chunks.finish(choice["finish_reason"], served if index == last and not include_usage else None, index)
    if include_usage:
        yield chunks.usage(completion["usage"], served)
    yield DONE
