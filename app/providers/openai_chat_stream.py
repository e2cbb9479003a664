"""OpenAI Chat Completions streams (and every compatible vendor's): ``data: {chunk}`` ... ``data: [DONE]``."""
from __future__ import annotations

from typing import Any, Callable

from .base import Usage
from .errors import ProviderStreamError
from .shapes import first_text, mapping, usage_or_none
from .sse_reader import ServerSentEvent
from .stream_events import END, FinishReason, SSEDecoder, StreamEvent, TextDelta, TierReport, UsageReport


class OpenAIChatStream(SSEDecoder):
    """Read chat.completion.chunk events; usage comes on the last chunk (``stream_options.include_usage``)."""

    def __init__(self, vendor: str, max_event_bytes: int, read_usage: Callable[[Any], Usage],
                 reports_tier: bool = False):
        super().__init__(vendor, max_event_bytes)
        self._read_usage = read_usage
        self._reports_tier = reports_tier   # the vendor's service_tier is OpenAI's (Vendor.service_tier)

    def on_event(self, sse: ServerSentEvent) -> list[StreamEvent]:
        if sse.data.strip() == "[DONE]":
            return [END]
        chunk = self.json(sse)
        if chunk.get("error") is not None:
            raise self._vendor_error(chunk["error"])
        choices = chunk.get("choices") or []
        if not isinstance(choices, list):
            raise self.error("a stream chunk's choices is not a list")
        events: list[StreamEvent] = []
        for choice in map(mapping, choices):
            index = choice.get("index", 0)
            if not isinstance(index, int) or isinstance(index, bool) or index < 0:
                raise self.error("a stream chunk's choice index is not a non-negative integer")
            delta = mapping(choice.get("delta"))
            text = delta.get("content") or delta.get("refusal")
            if isinstance(text, str) and text:
                events.append(TextDelta(text, index))
            calls = delta.get("tool_calls")   # already OpenAI's delta.tool_calls: passed on as they come
            if index == 0 and isinstance(calls, list) and calls:   # tool calls of the first choice only
                events += self.tool_call_deltas(calls)
            reason = choice.get("finish_reason")
            if isinstance(reason, str):
                events.append(FinishReason(reason, index))
        # Groq reports usage in x_groq.usage on the last chunk.
        usage = chunk.get("usage") or mapping(chunk.get("x_groq")).get("usage")
        if usage is not None:
            events.append(UsageReport(usage_or_none(self._read_usage, usage)))
        tier = chunk.get("service_tier")
        if self._reports_tier and isinstance(tier, str) and tier:
            events.append(TierReport(tier))
        return events

    def _vendor_error(self, error: Any) -> ProviderStreamError:
        message = first_text({"error": error}, ("error", "message"), ("error",)) or "error in the stream"
        kind = first_text(error, ("type",)) if isinstance(error, dict) else None
        retryable = kind in {"server_error", "rate_limit_exceeded", "overloaded_error"}
        return ProviderStreamError(f"{kind}: {message}" if kind else message, vendor=self.vendor,
                                   retryable=retryable)
