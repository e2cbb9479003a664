"""Gemini ``:streamGenerateContent?alt=sse``: each event is a GenerateContentResponse; the last has finishReason."""
from __future__ import annotations

from typing import Any, Callable

from .base import Usage
from .errors import ProviderStreamError
from .shapes import first_text, mapping, text_or_none, usage_or_none
from .sse_reader import ServerSentEvent
from .stream_events import END, FinishReason, SSEDecoder, StreamEvent, TextDelta, UsageReport

RETRYABLE = frozenset({"UNAVAILABLE", "RESOURCE_EXHAUSTED", "INTERNAL"})


class GeminiStream(SSEDecoder):
    """Read partial responses; usageMetadata is cumulative; the stream has no terminator but a finishReason."""

    dialect = "gemini"

    def __init__(self, vendor: str, max_event_bytes: int, read_usage: Callable[[Any], Usage]):
        super().__init__(vendor, max_event_bytes)
        self._read_usage = read_usage

    def on_event(self, sse: ServerSentEvent) -> list[StreamEvent]:
        data = self.json(sse)
        if data.get("error") is not None:
            raise self._vendor_error(data["error"])
        events: list[StreamEvent] = []
        candidates = data.get("candidates") or []
        if not isinstance(candidates, list):
            raise self.error("a stream chunk's candidates is not a list")
        candidate = mapping(candidates[0]) if candidates else {}
        parts = mapping(candidate.get("content")).get("parts") or []
        for part in parts if isinstance(parts, list) else []:
            if isinstance(part, dict) and not part.get("thought") and isinstance(part.get("text"), str) and part["text"]:
                events.append(TextDelta(part["text"]))
        events += self.tool_calls(data)   # functionCall parts come whole, one delta each
        if data.get("usageMetadata") is not None:
            events.append(UsageReport(usage_or_none(self._read_usage, data["usageMetadata"])))
        reason = text_or_none(candidate.get("finishReason"))
        blocked = text_or_none(mapping(data.get("promptFeedback")).get("blockReason"))
        if reason or blocked:
            events += [FinishReason(reason or f"BLOCKED_{blocked}"), END]
        return events

    def _vendor_error(self, error: Any) -> ProviderStreamError:
        status = first_text(error, ("status",)) if isinstance(error, dict) else None
        message = first_text({"error": error}, ("error", "message")) or "error in the stream"
        return ProviderStreamError(f"{status}: {message}" if status else message, vendor=self.vendor,
                                   retryable=status in RETRYABLE)
