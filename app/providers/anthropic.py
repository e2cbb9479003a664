"""Anthropic Messages API."""
from __future__ import annotations

from typing import Any

from .base import Adapter, Completion, HttpCall, PromptRequest, Usage, without_nones
from .messages import merged_turns, system_texts
from .anthropic_stream import AnthropicStream
from .errors import ProviderResponseError
from .shapes import dig, tokens, tool_finish, usage_or_none

API_VERSION = "2023-06-01"


class AnthropicAdapter(Adapter):
    """POST {base_url}/v1/messages with ``x-api-key`` and a pinned ``anthropic-version``."""

    supports = frozenset({"temperature", "top_p", "stop"})   # the Messages API has no seed

    def build(self, request: PromptRequest) -> HttpCall:
        """Return the Messages call; the system prompt is a top-level field, not a message."""
        base = str(self.setting("base_url", self.vendor.base_url)).rstrip("/")
        headers = {"x-api-key": str(self.setting("api_key", "")), "anthropic-version": API_VERSION,
                   "content-type": "application/json", "accept": "application/json"}
        return HttpCall("POST", f"{base}/v1/messages", headers, self.encode(self.body(request)))

    def body(self, request: PromptRequest) -> dict[str, Any]:
        """Return the Messages body: system parts top-level, user and assistant turns alternating
        (from app.agents for a /v1 request: tools, tool_use/tool_result blocks, images, thinking)."""
        conversation = request.conversation()
        sampling = {"temperature": request.temperature, "top_p": request.top_p,
                    "stop_sequences": list(request.stop) if request.stop else None}
        if request.agent is not None:
            return without_nones({"model": request.model, "max_tokens": request.max_tokens, **sampling,
                                  **self.agent_fields(request)})
        return without_nones({
            "model": request.model,
            "max_tokens": request.max_tokens,
            "system": _content(system_texts(conversation)) or None,
            "messages": [{"role": turn.role, "content": _content(turn.texts)} for turn in merged_turns(conversation)],
            **sampling,
        })

    def parse(self, payload: Any) -> Completion:
        """Join the text blocks; input counts every prompt token, cache reads and writes included."""
        name = self.vendor.key
        blocks = dig(payload, "content", vendor=name)
        if not isinstance(blocks, list):
            raise ProviderResponseError("unexpected response shape: content is not a list", vendor=name)
        text = "".join(b["text"] for b in blocks
                       if isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str))
        calls = self.answer_tool_calls(payload)
        return Completion(text=text, finish_reason=tool_finish(calls, payload.get("stop_reason")),
                          usage=usage_or_none(self._usage, payload.get("usage")), tool_calls=calls)

    def stream_decoder(self, max_event_bytes: int) -> AnthropicStream:
        """Return a Messages event-stream decoder."""
        return AnthropicStream(self.vendor.key, max_event_bytes, self._usage)

    @staticmethod
    def _usage(usage: Any) -> Usage:
        cache_read = tokens(usage, "cache_read_input_tokens", required=False)
        cache_write = tokens(usage, "cache_creation_input_tokens", required=False)
        return Usage(input_tokens=tokens(usage, "input_tokens") + cache_read + cache_write,
                     output_tokens=tokens(usage, "output_tokens"), cached_tokens=cache_read)


def _content(texts: list[str]) -> str | list[dict[str, str]]:
    """One text as a plain string (the shorter form), several as text blocks."""
    return texts[0] if len(texts) == 1 else [{"type": "text", "text": text} for text in texts]
