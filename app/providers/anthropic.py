"""Anthropic Messages API."""
from __future__ import annotations

from typing import Any

from .base import Adapter, Completion, HttpCall, PromptRequest, Usage, without_nones
from .anthropic_stream import AnthropicStream
from .errors import ProviderResponseError
from .shapes import dig, text_or_none, tokens, usage_or_none

API_VERSION = "2023-06-01"


class AnthropicAdapter(Adapter):
    """POST {base_url}/v1/messages with ``x-api-key`` and a pinned ``anthropic-version``."""

    def build(self, request: PromptRequest) -> HttpCall:
        """Return the Messages call; the system prompt is a top-level field, not a message."""
        base = str(self.setting("base_url", self.vendor.base_url)).rstrip("/")
        headers = {"x-api-key": str(self.setting("api_key", "")), "anthropic-version": API_VERSION,
                   "content-type": "application/json", "accept": "application/json"}
        body = without_nones({
            "model": request.model,
            "max_tokens": request.max_tokens,
            "system": request.system or None,
            "messages": [{"role": "user", "content": request.prompt}],
            "temperature": request.temperature,
        })
        return HttpCall("POST", f"{base}/v1/messages", headers, self.encode(body))

    def parse(self, payload: Any) -> Completion:
        """Join the text blocks; input counts every prompt token, cache reads and writes included."""
        name = self.vendor.key
        blocks = dig(payload, "content", vendor=name)
        if not isinstance(blocks, list):
            raise ProviderResponseError("unexpected response shape: content is not a list", vendor=name)
        text = "".join(b["text"] for b in blocks
                       if isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str))
        return Completion(text=text, finish_reason=text_or_none(payload.get("stop_reason")),
                          usage=usage_or_none(self._usage, payload.get("usage")))

    def stream_decoder(self, max_event_bytes: int) -> AnthropicStream:
        """Return a Messages event-stream decoder."""
        return AnthropicStream(self.vendor.key, max_event_bytes, self._usage)

    @staticmethod
    def _usage(usage: Any) -> Usage:
        cache_read = tokens(usage, "cache_read_input_tokens", required=False)
        cache_write = tokens(usage, "cache_creation_input_tokens", required=False)
        return Usage(input_tokens=tokens(usage, "input_tokens") + cache_read + cache_write,
                     output_tokens=tokens(usage, "output_tokens"), cached_tokens=cache_read)
