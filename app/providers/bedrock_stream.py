"""Bedrock ConverseStream: AWS event-stream binary frames, decoded by botocore's own parser."""
from __future__ import annotations

import json
from typing import Any, Callable

from botocore.eventstream import EventStreamBuffer, EventStreamMessage, ParserError

from .base import Usage
from .errors import ProviderStreamError
from .shapes import mapping, text_or_none, usage_or_none
from .stream_events import END, FinishReason, StreamDecoder, StreamEvent, TextDelta, UsageReport

RETRYABLE = frozenset({"throttlingException", "internalServerException", "serviceUnavailableException",
                       "modelStreamErrorException"})


class BedrockConverseStream(StreamDecoder):
    """Read messageStart, contentBlockDelta ..., messageStop (the answer is complete), metadata (usage)."""

    media_type = "application/vnd.amazon.eventstream"
    dialect = "bedrock"

    def __init__(self, vendor: str, max_event_bytes: int, read_usage: Callable[[Any], Usage]):
        super().__init__(vendor, max_event_bytes)
        self._read_usage = read_usage
        self._buffer = EventStreamBuffer()
        self._unparsed = 0   # bytes fed but not yet part of a whole frame (botocore keeps them)

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        self._buffer.add_data(chunk)
        self._unparsed += len(chunk)
        events: list[StreamEvent] = []
        try:
            for message in self._buffer:
                self._unparsed -= message.prelude.total_length
                events.extend(self._on_message(message))
        except ParserError as exc:
            raise self.error(f"a stream frame is malformed ({type(exc).__name__})") from None
        if self._unparsed > self.max_event_bytes:
            raise self.too_large()
        return events

    def _on_message(self, message: EventStreamMessage) -> list[StreamEvent]:
        headers = message.headers
        kind = headers.get(":message-type")
        if kind == "exception":
            raise self._vendor_error(str(headers.get(":exception-type", "exception")), self._payload(message))
        if kind == "error":
            raise self._vendor_error(str(headers.get(":error-code", "error")),
                                     {"message": headers.get(":error-message", "")})
        event = headers.get(":event-type")
        data = self._payload(message)
        if event in ("contentBlockStart", "contentBlockDelta"):
            calls = self.tool_calls({event: data})   # toolUse starts and their input pieces
            if calls:
                return calls
        if event == "contentBlockDelta":
            text = mapping(data.get("delta")).get("text")   # reasoningContent deltas are not answer text
            return [TextDelta(text)] if isinstance(text, str) and text else []
        if event == "messageStop":
            reason = text_or_none(data.get("stopReason"))
            return ([FinishReason(reason)] if reason else []) + [END]
        if event == "metadata":
            return [UsageReport(usage_or_none(self._read_usage, data.get("usage")))]
        return []   # messageStart, contentBlockStart/Stop, and event types added later

    def _payload(self, message: EventStreamMessage) -> dict[str, Any]:
        try:
            data = json.loads(message.payload or b"{}")
        except (ValueError, RecursionError):
            raise self.error("a stream frame's payload is not JSON") from None
        if not isinstance(data, dict):
            raise self.error("a stream frame's payload is not a JSON object")
        return data

    def _vendor_error(self, kind: str, data: dict[str, Any]) -> ProviderStreamError:
        message = data.get("message") or data.get("Message") or "error in the stream"
        return ProviderStreamError(f"{kind}: {message}", vendor=self.vendor, retryable=kind in RETRYABLE)
