"""Google Gemini API (generativelanguage v1beta generateContent)."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .base import Adapter, Completion, HttpCall, PromptRequest, Usage, without_nones
from .messages import ASSISTANT, merged_turns, system_texts
from .errors import ProviderResponseError
from .gemini_stream import GeminiStream
from .shapes import mapping, text_or_none, tokens, tool_finish, usage_or_none


class GeminiAdapter(Adapter):
    """POST {base_url}/v1beta/models/{model}:generateContent with the key in ``x-goog-api-key``."""

    error_type_paths = (("error", "status"),)

    def build(self, request: PromptRequest) -> HttpCall:
        """Return the generateContent call; the key goes in a header so it never lands in a URL log."""
        base = str(self.setting("base_url", self.vendor.base_url)).rstrip("/")
        model = quote(request.model.removeprefix("models/"), safe="")
        headers = {"x-goog-api-key": str(self.setting("api_key", "")),
                   "Content-Type": "application/json", "Accept": "application/json"}
        return HttpCall("POST", f"{base}/v1beta/models/{model}:generateContent", headers,
                        self.encode(self.body(request)))

    def body(self, request: PromptRequest) -> dict[str, Any]:
        """Return the generateContent body: systemInstruction, and contents with roles user and model
        (from app.agents for a /v1 request: tools, functionCall/functionResponse parts, images, thinking)."""
        config = without_nones({
            "maxOutputTokens": request.max_tokens, "temperature": request.temperature, "topP": request.top_p,
            "stopSequences": list(request.stop) if request.stop else None, "seed": request.seed})
        if request.agent is not None:
            fields = self.agent_fields(request)
            return {**fields, "generationConfig": {**config, **fields.get("generationConfig", {})}}
        conversation = request.conversation()
        body: dict[str, Any] = {"contents": [
            {"role": "model" if turn.role == ASSISTANT else "user", "parts": [{"text": text} for text in turn.texts]}
            for turn in merged_turns(conversation)]}
        system = system_texts(conversation)
        if system:
            body["systemInstruction"] = {"parts": [{"text": text} for text in system]}
        body["generationConfig"] = config
        return body

    def parse(self, payload: Any) -> Completion:
        """Join the first candidate's non-thought parts; thoughts are billed as output."""
        name = self.vendor.key
        if not isinstance(payload, dict):
            raise ProviderResponseError("unexpected response shape: not a JSON object", vendor=name)
        usage = usage_or_none(self._usage, payload.get("usageMetadata"))
        candidates = payload.get("candidates")
        if not candidates or not isinstance(candidates, list):
            return self._blocked(payload, usage)
        candidate = mapping(candidates[0])
        parts = mapping(candidate.get("content")).get("parts") or []
        parts = parts if isinstance(parts, list) else []
        text = "".join(p["text"] for p in parts
                       if isinstance(p, dict) and not p.get("thought") and isinstance(p.get("text"), str))
        calls = self.answer_tool_calls(payload)
        return Completion(text=text, finish_reason=tool_finish(calls, candidate.get("finishReason")), usage=usage,
                          tool_calls=calls)

    def stream_fields(self) -> dict[str, Any]:
        """The body is the same; the method and ``alt=sse`` ask for the stream."""
        return {}

    def stream_url(self, url: str) -> str:
        """Return the streamGenerateContent URL, as Server-Sent Events."""
        return url.replace(":generateContent", ":streamGenerateContent?alt=sse")

    def stream_decoder(self, max_event_bytes: int) -> GeminiStream:
        """Return a decoder of streamed GenerateContentResponses."""
        return GeminiStream(self.vendor.key, max_event_bytes, self._usage)

    @staticmethod
    def _usage(usage: Any) -> Usage:
        # candidatesTokenCount is absent when nothing was generated (a blocked prompt).
        thoughts = tokens(usage, "thoughtsTokenCount", required=False)
        return Usage(input_tokens=tokens(usage, "promptTokenCount"),
                     output_tokens=tokens(usage, "candidatesTokenCount", required=False) + thoughts,
                     cached_tokens=tokens(usage, "cachedContentTokenCount", required=False),
                     reasoning_tokens=thoughts)

    def _blocked(self, payload: dict, usage: Usage | None) -> Completion:
        """Return an empty completion for a blocked prompt; anything else without candidates is malformed."""
        reason = text_or_none(mapping(payload.get("promptFeedback")).get("blockReason"))
        if not reason:
            raise ProviderResponseError("unexpected response shape: no candidates", vendor=self.vendor.key)
        return Completion(text="", finish_reason=f"BLOCKED_{reason}", usage=usage)
