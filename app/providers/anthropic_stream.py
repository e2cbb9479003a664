"""Anthropic Messages streams: message_start, content_block_delta ..., message_delta (usage), message_stop."""
from __future__ import annotations

from typing import Any, Callable

from .base import Usage
from .errors import ProviderStreamError
from .shapes import first_text, mapping, usage_or_none
from .sse_reader import ServerSentEvent
from .stream_events import END, FinishReason, SSEDecoder, StreamEvent, TextDelta, UsageReport

RETRYABLE = frozenset({"overloaded_error", "api_error", "rate_limit_error"})


class AnthropicStream(SSEDecoder):
    """Read the Messages event stream; usage is message_start's input merged with message_delta's output."""

    dialect = "anthropic"

    def __init__(self, vendor: str, max_event_bytes: int, read_usage: Callable[[Any], Usage]):
        super().__init__(vendor, max_event_bytes)
        self._read_usage = read_usage
        self._usage: dict[str, Any] = {}

    def on_event(self, sse: ServerSentEvent) -> list[StreamEvent]:
        if sse.event == "ping":
            return []
        data = self.json(sse)
        kind = data.get("type", sse.event)
        if kind in ("content_block_start", "content_block_delta"):
            calls = self.tool_calls(data)   # tool_use blocks and their input_json_delta pieces
            if calls:
                return calls
        if kind == "content_block_delta":
            delta = mapping(data.get("delta"))
            text = delta.get("text")
            # thinking deltas are not answer text (thinking is billed in output_tokens).
            return [TextDelta(text)] if delta.get("type") == "text_delta" and isinstance(text, str) and text else []
        if kind == "message_start":
            self._usage = dict(mapping(mapping(data.get("message")).get("usage")))
            return []
        if kind == "message_delta":
            return self._message_delta(data)
        if kind == "message_stop":
            return [END]
        if kind == "error":
            raise self._vendor_error(data.get("error"))
        return []   # content_block_start/stop, and event types added later

    def _message_delta(self, data: dict[str, Any]) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        reason = mapping(data.get("delta")).get("stop_reason")
        if isinstance(reason, str):
            events.append(FinishReason(reason))
        if isinstance(data.get("usage"), dict):
            # Counts here are cumulative; newer API versions repeat the input counts as well.
            self._usage.update({k: v for k, v in data["usage"].items() if v is not None})
            events.append(UsageReport(usage_or_none(self._read_usage, self._usage)))
        return events

    def _vendor_error(self, error: Any) -> ProviderStreamError:
        kind = first_text(error, ("type",)) if isinstance(error, dict) else None
        message = first_text({"error": error}, ("error", "message")) or "error in the stream"
        return ProviderStreamError(f"{kind}: {message}" if kind else message, vendor=self.vendor,
                                   retryable=kind in RETRYABLE)
