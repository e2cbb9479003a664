"""A streamed /v1 chat completion: fall back until a first token, then relay the answer as chunks (no Flask).

Every candidate is streamed through the router (``PromptRouter.stream``, one model), so budget
holds, ledger rows and call metrics are those of send_prompt's stream. Until a candidate's first
token nothing has been sent, not even the headers: a retryable failure there (429, 5xx, timeout,
connection error, a stream that fails before its first token) moves on to the next candidate, and
the client sees only the model that served (and, in ``price_runner.attempts``, what the others
cost). Once a token is out, a failure is an in-stream error event and is not retried.
"""
from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from app.gateway import replies
from app.gateway.candidates import Candidate
from app.gateway.chunks import DONE, Chunks, error_event
from app.gateway.fallback import Attempt, attempt
from app.providers.base import PromptRequest
from app.routing.service import PromptRouter
from app.routing.sse import HEARTBEAT
from app.routing.streamed import Events

log = logging.getLogger(__name__)
INTERNAL = "Internal server error; the stream was cut. What was sent stands."


@dataclass
class Opened:
    """How the fallback ended: the failed attempts, and the candidate serving (None if none did)."""

    attempts: list[Attempt]
    completion_id: str
    created: int
    serving: Candidate | None = None
    events: Events | None = None
    first: list[tuple[str, Any]] = field(default_factory=list)   # the event that decided it

    @property
    def ok(self) -> bool:
        return self.serving is not None


def open_stream(router: PromptRouter, candidates: Sequence[Candidate], prompt: PromptRequest, deadline: float, *,
                caller: str, request_id: str | None, claim: Any = None) -> Opened:
    """Stream the candidates in order until one sends a first token (or answers whole, empty).

    Each attempt is a ledger row; the answer stored for ``claim`` is the chat.completion of the
    stream that ends well. The caller holds the stream slot (one for all the attempts).
    """
    opened = Opened([], f"chatcmpl-{request_id or uuid.uuid4().hex}", int(time.time()))

    def call(candidate: Candidate, left: float, earlier: Sequence[Attempt]) -> dict[str, Any]:
        def answer(envelope: dict[str, Any]) -> dict[str, Any] | None:
            item = envelope["data"][0]
            if not item["success"]:
                return None
            return replies.completion([*earlier, Attempt(candidate, item)], opened.completion_id, opened.created)

        events = router.stream([candidate.model], prompt, left, caller=caller, request_id=request_id,
                               claim=claim, answer=answer, hold_slot=False)
        try:
            kind, data = _first(events)
        except BaseException:
            events.close()
            raise
        if kind == "delta" or data["success"]:
            opened.serving, opened.events, opened.first = candidate, events, [(kind, data)]
            return {"success": True, "error": None}   # stands in until the stream's own item arrives
        events.close()
        return data

    attempts = attempt(candidates, call, deadline)
    opened.attempts = attempts[:-1] if opened.ok else attempts
    return opened


def _first(events: Events) -> tuple[str, Any]:
    """The first delta or result of a one-model stream (heartbeats are not sent before the headers)."""
    for kind, data in events:
        if kind in ("delta", "result"):
            return kind, data
    raise RuntimeError("a model's stream ended without its result")


class Relay:
    """The response body of an opened stream: chunks as the tokens arrive, then finish, usage, [DONE].

    ``close`` (also when the body was never iterated: the client left) cuts the vendor stream and
    calls ``on_end(answered)`` once; ``answered``: the stream ended well and its answer is stored.
    """

    def __init__(self, opened: Opened, include_usage: bool, on_end: Callable[[bool], None]):
        assert opened.serving is not None and opened.events is not None
        self._opened, self._include_usage, self._on_end = opened, include_usage, on_end
        self._chunks = Chunks(opened.completion_id, opened.created, opened.serving.model.id)
        self._answered = False
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._relay()
        except Exception:
            log.exception("a /v1 stream failed after its headers were sent")
            yield error_event(INTERNAL, "internal_error")
        finally:
            self.close()

    def _relay(self) -> Iterator[bytes]:
        opened = self._opened
        item = None
        yield self._chunks.role()
        for kind, data in chain(opened.first, opened.events):
            if kind == "delta":
                chunk = self._chunks.delta(data)
                if chunk is not None:
                    yield chunk
            elif kind == "heartbeat":
                yield HEARTBEAT
            elif kind == "result":
                item = data
        if item is None:
            raise RuntimeError("the stream ended without its result")
        served = {"price_runner": replies.price_runner([*opened.attempts, Attempt(opened.serving, item)])}
        if not item["success"]:
            yield error_event(mid_stream_message(opened.serving, item["error"]), error_code(item["error"]), served)
            return
        self._answered = True
        # Each choice ends with its own finish chunk (n > 1); price_runner rides on the last one.
        others = item.get("choices") or []
        yield self._chunks.finish(replies.finish_reason(item["finish_reason"]),
                                  None if self._include_usage or others else served)
        for index, other in enumerate(others, start=1):
            yield self._chunks.finish(replies.finish_reason(other["finish_reason"]),
                                      None if self._include_usage or index < len(others) else served, index)
        if self._include_usage:
            yield self._chunks.usage(replies.usage(item), served)
        yield DONE

    def close(self) -> None:
        """Cut what is still streaming and end the request's holds (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._opened.events.close()
        finally:
            self._on_end(self._answered)


def mid_stream_message(candidate: Candidate, error: dict[str, Any]) -> str:
    """The in-stream error's message: which model failed after sending tokens, and why."""
    return (f"{candidate.model.id} failed mid-stream ({error['type']}): {error['message']}. "
            "The text sent so far stands; it was not retried.")


def error_code(error: dict[str, Any]) -> str:
    """The in-stream error's code, as the non-streaming errors name vendor failures."""
    if error["type"] == "timeout":
        return "vendor_timeout"
    return "vendor_rate_limited" if error.get("status") == 429 else "vendor_error"
