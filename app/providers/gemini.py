"""Google Gemini API (generativelanguage v1beta generateContent)."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .base import Adapter, Completion, HttpCall, PromptRequest, Usage, without_nones
from .errors import ProviderResponseError
from .shapes import count, mapping


class GeminiAdapter(Adapter):
    """POST {base_url}/v1beta/models/{model}:generateContent with the key in ``x-goog-api-key``."""

    error_type_paths = (("error", "status"),)

    def build(self, request: PromptRequest) -> HttpCall:
        """Return the generateContent call; the key goes in a header so it never lands in a URL log."""
        base = str(self.setting("base_url", self.vendor.base_url)).rstrip("/")
        model = quote(request.model.removeprefix("models/"), safe="")
        headers = {"x-goog-api-key": str(self.setting("api_key", "")),
                   "Content-Type": "application/json", "Accept": "application/json"}
        body: dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": request.prompt}]}]}
        if request.system:
            body["systemInstruction"] = {"parts": [{"text": request.system}]}
        body["generationConfig"] = without_nones(
            {"maxOutputTokens": request.max_tokens, "temperature": request.temperature})
        return HttpCall("POST", f"{base}/v1beta/models/{model}:generateContent", headers, self.encode(body))

    def parse(self, payload: Any) -> Completion:
        """Join the first candidate's non-thought parts; thoughts are billed as output."""
        name = self.vendor.key
        if not isinstance(payload, dict):
            raise ProviderResponseError("unexpected response shape: not a JSON object", vendor=name)
        usage = mapping(payload.get("usageMetadata"))
        thoughts = count(usage, "thoughtsTokenCount", name)
        tokens = Usage(
            input_tokens=count(usage, "promptTokenCount", name),
            output_tokens=count(usage, "candidatesTokenCount", name) + thoughts,
            cached_tokens=count(usage, "cachedContentTokenCount", name),
            reasoning_tokens=thoughts,
        )
        candidates = payload.get("candidates")
        if not candidates or not isinstance(candidates, list):
            return self._blocked(payload, tokens)
        candidate = mapping(candidates[0])
        parts = mapping(candidate.get("content")).get("parts") or []
        text = "".join(p.get("text", "") for p in parts if isinstance(p, dict) and not p.get("thought"))
        return Completion(text=text, finish_reason=candidate.get("finishReason"), usage=tokens)

    def _blocked(self, payload: dict, tokens: Usage) -> Completion:
        """Return an empty completion for a blocked prompt; anything else without candidates is malformed."""
        reason = mapping(payload.get("promptFeedback")).get("blockReason")
        if not reason:
            raise ProviderResponseError("unexpected response shape: no candidates", vendor=self.vendor.key)
        return Completion(text="", finish_reason=f"BLOCKED_{reason}", usage=tokens)
