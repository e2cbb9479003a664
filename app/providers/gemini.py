"""Google Gemini API (generativelanguage v1beta generateContent)."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .base import Adapter, Choice, Completion, HttpCall, PromptRequest, Usage, without_nones
from .messages import ASSISTANT, merged_turns, system_texts
from .errors import ProviderResponseError
from .gemini_stream import GeminiStream
from .shapes import mapping, text_or_none, tokens, tool_finish, usage_or_none


class GeminiAdapter(Adapter):
    """POST {base_url}/v1beta/models/{model}:generateContent with the key in ``x-goog-api-key``."""

    error_type_paths = (("error", "status"),)
    # GenerationConfig (shared/specs/gemini generative_service.proto): seed, presencePenalty,
    # frequencyPenalty, responseLogprobs/logprobs and candidateCount; no logit bias.
    supports = frozenset({"temperature", "top_p", "stop", "seed", "presence_penalty", "frequency_penalty",
                          "logprobs", "n"})

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
            "stopSequences": list(request.stop) if request.stop else None, "seed": request.seed,
            "presencePenalty": request.presence_penalty, "frequencyPenalty": request.frequency_penalty,
            "responseLogprobs": request.logprobs, "logprobs": request.top_logprobs if request.logprobs else None,
            "candidateCount": request.n if request.n != 1 else None})
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
        text = _text(candidate)
        calls = self.answer_tool_calls(payload)
        more = tuple(self._choice(other) for other in candidates[1:])
        return Completion(text=text, finish_reason=tool_finish(calls, candidate.get("finishReason")), usage=usage,
                          tool_calls=calls, logprobs=openai_logprobs(candidate), more=more)

    def _choice(self, candidate: Any) -> Choice:
        """Another candidate (candidateCount > 1) as a choice."""
        candidate = mapping(candidate)
        calls = tuple(self.answer_tool_calls({"candidates": [candidate]}))
        return Choice(_text(candidate), tool_finish(calls, candidate.get("finishReason")), calls,
                      openai_logprobs(candidate))

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


def _text(candidate: dict) -> str:
    """A candidate's non-thought text parts, joined."""
    parts = mapping(candidate.get("content")).get("parts") or []
    return "".join(p["text"] for p in (parts if isinstance(parts, list) else [])
                   if isinstance(p, dict) and not p.get("thought") and isinstance(p.get("text"), str))


def openai_logprobs(candidate: dict) -> dict | None:
    """A candidate's logprobsResult in OpenAI's choice.logprobs shape ({content: [{token, logprob, bytes,
    top_logprobs}]}); None when the vendor sent none."""
    result = mapping(candidate.get("logprobsResult"))
    chosen = result.get("chosenCandidates")
    if not isinstance(chosen, list):
        return None
    tops = result.get("topCandidates") if isinstance(result.get("topCandidates"), list) else []
    content = []
    for step, pick in enumerate(chosen):
        top = mapping(tops[step]).get("candidates") if step < len(tops) else None
        content.append({**_token(pick), "top_logprobs": [_token(t) for t in top or () if isinstance(t, dict)]})
    return {"content": content, "refusal": None}


def _token(candidate: Any) -> dict:
    token = mapping(candidate).get("token")
    token = token if isinstance(token, str) else ""
    logprob = mapping(candidate).get("logProbability")
    return {"token": token, "logprob": float(logprob) if isinstance(logprob, (int, float)) else 0.0,
            "bytes": list(token.encode("utf-8"))}
