"""What a vendor's stream says, whatever its dialect: text, why it stopped, what it cost, that it ended.

Each dialect has a ``StreamDecoder``: body bytes in, ``StreamEvent`` values out. The decoders are
pure (no I/O, no clocks), so a test feeds them a recorded body in any chunking; the transport
(``streaming.py``) reads the socket and enforces the time limits.
"""
from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Union

from app.agents import registry

from .base import Usage
from .errors import ProviderError, ProviderResponseError, ProviderResponseTooLarge
from .shapes import tool_call
from .sse_reader import ServerSentEvent, SSEReader


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str
    index: int = 0   # the choice it belongs to (n > 1); TokenStream yields others as ChoiceText


@dataclass(frozen=True, slots=True)
class ToolCallsDelta:
    """Pieces of the tool calls the model is making, as OpenAI's ``choices[0].delta.tool_calls`` items.

    Each item has ``index`` (the call's position) and, on the call's first piece, ``id``, ``type`` and
    ``function.name``; ``function.arguments`` pieces concatenate to the call's JSON arguments.
    TokenStream yields these beside ``str`` text deltas (send_prompt, which offers no tools, skips them).
    """

    tool_calls: list

    @property
    def size(self) -> int:
        """The characters this delta adds, ids, types, names and arguments alike (counted against
        PROVIDER_MAX_RESPONSE_BYTES, as they are all passed on)."""
        return sum(_piece_size(call) for call in self.tool_calls)


def _piece_size(call: Any) -> int:
    if not isinstance(call, dict):
        return 0
    function = _function(call)
    return sum(len(value) if isinstance(value, str) else len(json.dumps(value)) if value is not None else 0
               for value in (call.get("id"), call.get("type"), function.get("name"), function.get("arguments")))


@dataclass(frozen=True, slots=True)
class FinishReason:
    reason: str
    index: int = 0


@dataclass(frozen=True, slots=True)
class ChoiceText:
    """Text of a choice other than the first (a /v1 request with n > 1), as TokenStream yields it."""

    index: int
    text: str


@dataclass(frozen=True, slots=True)
class UsageReport:
    usage: Usage | None   # None: the vendor reported usage we cannot trust (the answer still stands)


@dataclass(frozen=True, slots=True)
class TierReport:
    """The service tier the vendor says serves the call (OpenAI's chunks carry it)."""

    tier: str


@dataclass(frozen=True, slots=True)
class StreamEnd:
    """The dialect's own terminator: the answer is complete (a body ending without one is not)."""


StreamEvent = Union[TextDelta, ToolCallsDelta, FinishReason, UsageReport, TierReport, StreamEnd]
END = StreamEnd()


class StreamDecoder(ABC):
    """Turn one response body, fed as it arrives, into StreamEvents; raise ProviderError on bad input."""

    media_type = "text/event-stream"
    dialect = ""   # Vendor.api: whose app.agents ToolCallStream reads the tool calls out of the events

    def __init__(self, vendor: str, max_event_bytes: int):
        self.vendor, self.max_event_bytes = vendor, max_event_bytes
        stream = registry.DIALECTS[self.dialect].stream if self.dialect else None
        self._tools = stream() if stream is not None else None

    def tool_calls(self, event: dict[str, Any]) -> list[StreamEvent]:
        """Return the ToolCallsDelta one decoded vendor event carries (none when it carries no call)."""
        if self._tools is None:
            return []
        return self.tool_call_deltas(self._tools.feed(event))

    def tool_call_deltas(self, pieces: list) -> list[StreamEvent]:
        """Return the ToolCallsDelta of OpenAI ``delta.tool_calls`` pieces (arguments as strings)."""
        deltas = [tool_call(piece, vendor=self.vendor, whole=False) for piece in pieces if isinstance(piece, dict)]
        return [ToolCallsDelta(deltas)] if deltas else []

    @abstractmethod
    def feed(self, chunk: bytes) -> list[StreamEvent]:
        """Return the events these body bytes complete."""

    def error(self, message: str, *, retryable: bool = False) -> ProviderError:
        """Return the error for a malformed event, or one the vendor sent in-stream."""
        return ProviderResponseError(message, vendor=self.vendor, retryable=retryable)

    def too_large(self) -> ProviderResponseTooLarge:
        """Return the error for an event over max_event_bytes."""
        return ProviderResponseTooLarge(f"a stream event is larger than {self.max_event_bytes} bytes; "
                                        "not read further", vendor=self.vendor)


class SSEDecoder(StreamDecoder):
    """A dialect carried as Server-Sent Events with JSON data: subclasses read one event at a time."""

    def __init__(self, vendor: str, max_event_bytes: int):
        super().__init__(vendor, max_event_bytes)
        self._reader = SSEReader(vendor, max_event_bytes)

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        for sse in self._reader.feed(chunk):
            events.extend(self.on_event(sse))
        return events

    @abstractmethod
    def on_event(self, sse: ServerSentEvent) -> list[StreamEvent]:
        """Return what one server-sent event says."""

    def json(self, sse: ServerSentEvent) -> dict[str, Any]:
        """Decode an event's data as a JSON object; anything else is a malformed stream."""
        try:
            data = json.loads(sse.data)
        except (ValueError, RecursionError):
            raise self.error(f"a stream event ({sse.event}) is not JSON") from None
        if not isinstance(data, dict):
            raise self.error(f"a stream event ({sse.event}) is not a JSON object")
        return data


def _function(call: Any) -> dict:
    function = call.get("function") if isinstance(call, dict) else None
    return function if isinstance(function, dict) else {}


def merge_tool_call(calls: dict[int, dict], piece: Any) -> None:
    """Add one delta.tool_calls item to the call it continues (by index), as OpenAI's SDKs assemble them."""
    if not isinstance(piece, dict):
        return
    index = piece.get("index") if isinstance(piece.get("index"), int) else len(calls)
    call = calls.setdefault(index, {"id": "", "type": "function", "function": {"name": "", "arguments": ""}})
    if isinstance(piece.get("id"), str):
        call["id"] = piece["id"]
    function = _function(piece)
    if isinstance(function.get("name"), str):
        call["function"]["name"] = function["name"]
    if isinstance(function.get("arguments"), str):
        call["function"]["arguments"] += function["arguments"]
