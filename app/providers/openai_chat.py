"""OpenAI Chat Completions, the dialect most vendors (Mistral, Groq, Ollama...) also speak."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .base import OPTIONAL_PARAMETERS, Adapter, Choice, Completion, HttpCall, PromptRequest, Usage, without_nones
from .messages import Message, single_text
from .openai_chat_stream import OpenAIChatStream
from .shapes import dig, mapping, tokens, tool_finish, usage_or_none


class OpenAIChatAdapter(Adapter):
    """POST {base_url}/chat/completions with a Bearer key."""

    streams_choices = True   # chunks carry choices[].index (OpenAIChatStream reads them all)

    def build(self, request: PromptRequest) -> HttpCall:
        """Return the chat-completions call for this vendor's base URL."""
        base = str(self.setting("base_url", self.vendor.base_url)).rstrip("/")
        return HttpCall("POST", f"{base}/chat/completions", self.headers(), self.encode(self.body(request)))

    def headers(self) -> dict[str, str]:
        """Return the auth and content headers (no Authorization without a key, as for Ollama)."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = self.setting("api_key")
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    @property
    def supports(self) -> frozenset[str]:
        """temperature, top_p and stop; seed where the vendor takes one (Vendor.seed_field); service_tier where
        its API has one (Vendor.service_tier); the other sampling parameters its API documents (Vendor.takes)."""
        return frozenset({"temperature", "top_p", "stop"} | ({"seed"} if self.vendor.seed_field else set())
                         | ({"service_tier"} if self.vendor.service_tier else set())
                         | (self.vendor.takes & set(OPTIONAL_PARAMETERS)))

    def body(self, request: PromptRequest) -> dict[str, Any]:
        """Return the JSON body; the max-tokens and seed field names are per vendor (see Vendor). A /v1
        request's messages and agent features (tools, response_format, ...) pass on, checked by app.agents."""
        agent = self.agent_fields(request) if request.agent is not None else {}
        return without_nones({
            "model": request.model,
            "messages": [_message(message) for message in request.conversation()],
            **agent,
            self.vendor.max_tokens_field: request.max_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "stop": list(request.stop) if request.stop else None,
            **({self.vendor.seed_field: request.seed} if self.vendor.seed_field else {}),
            "service_tier": request.service_tier if self.vendor.service_tier else None,
            **self._sampling(request),
        })

    def _sampling(self, request: PromptRequest) -> dict[str, Any]:
        """OpenAI's other sampling fields, each only where the vendor takes it (unsupported() refused the rest)."""
        fields = {"presence_penalty": request.presence_penalty, "frequency_penalty": request.frequency_penalty,
                  "logit_bias": dict(request.logit_bias) if request.logit_bias else None,
                  "logprobs": request.logprobs, "n": request.n if request.n != 1 else None}
        if request.logprobs:
            fields["top_logprobs"] = request.top_logprobs
        return {name: value for name, value in fields.items()
                if (name == "top_logprobs" or name in self.vendor.takes) and value is not None}

    def parse(self, payload: Any) -> Completion:
        """Read choices[0] and the usage block (cached and reasoning details are optional)."""
        name = self.vendor.key
        choice = dig(payload, "choices", 0, vendor=name)
        message = dig(choice, "message", vendor=name)
        # content is null when the model refuses; surface the refusal rather than nothing.
        text = mapping(message).get("content") or mapping(message).get("refusal") or ""
        calls = self.answer_tool_calls(payload)
        tier = payload.get("service_tier") if self.vendor.service_tier else None
        return Completion(text=text if isinstance(text, str) else "",
                          finish_reason=tool_finish(calls, mapping(choice).get("finish_reason")),
                          usage=usage_or_none(self._usage, payload.get("usage")), tool_calls=calls,
                          service_tier=tier if isinstance(tier, str) and tier else None,
                          logprobs=_logprobs(choice),
                          more=tuple(_choices(payload, lambda one: self.answer_tool_calls({"choices": [one]}))[1:]))

    def stream_fields(self) -> dict[str, Any]:
        """Ask for a stream, and for its usage on the last chunk where the vendor's API takes the option."""
        if self.vendor.stream_usage_option:
            return {"stream": True, "stream_options": {"include_usage": True}}
        return {"stream": True}

    def stream_decoder(self, max_event_bytes: int) -> OpenAIChatStream:
        """Return a chat.completion.chunk decoder."""
        return OpenAIChatStream(self.vendor.key, max_event_bytes, self._usage, self.vendor.service_tier)

    @staticmethod
    def _usage(usage: Any) -> Usage:
        details = mapping(usage)
        return Usage(input_tokens=tokens(usage, "prompt_tokens"),
                     output_tokens=tokens(usage, "completion_tokens"),
                     cached_tokens=tokens(details.get("prompt_tokens_details"), "cached_tokens", required=False),
                     reasoning_tokens=tokens(details.get("completion_tokens_details"), "reasoning_tokens",
                                             required=False))


class AzureOpenAIAdapter(OpenAIChatAdapter):
    """Azure OpenAI: the deployment is in the path, the key in ``api-key``, no ``model`` in the body."""

    default_api_version = "2024-10-21"
    credentials = (("api_key", "endpoint"),)

    def api_model(self, model) -> str:
        """Return the deployment secrets.yaml names for this model (azure.deployments), else api_model."""
        return (self.setting("deployments") or {}).get(model.model_name, model.api_model)

    def build(self, request: PromptRequest) -> HttpCall:
        """Return the deployment-scoped chat-completions call (request.model is the deployment)."""
        endpoint = str(self.setting("endpoint", self.vendor.base_url)).rstrip("/")
        version = self.setting("api_version", self.default_api_version)
        deployment = quote(request.model, safe="")
        url = f"{endpoint}/openai/deployments/{deployment}/chat/completions?api-version={quote(str(version))}"
        body = self.body(request)
        body.pop("model")
        return HttpCall("POST", url, self.headers(), self.encode(body))

    def headers(self) -> dict[str, str]:
        """Return Azure's key header."""
        return {"Content-Type": "application/json", "Accept": "application/json",
                "api-key": str(self.setting("api_key", ""))}


def _logprobs(choice: Any) -> dict[str, Any] | None:
    """A choice's logprobs as the vendor sent them (OpenAI's shape), when it sent an object."""
    value = mapping(choice).get("logprobs")
    return value if isinstance(value, dict) else None


def _choices(payload: Any, read_calls) -> list[Choice]:
    """Every choice of an answer, in index order (n > 1); choices without a message are skipped."""
    raw = payload.get("choices") if isinstance(payload, dict) else None
    found = []
    for choice in sorted((c for c in raw or () if isinstance(c, dict)), key=lambda c: c.get("index") or 0):
        message = mapping(choice.get("message"))
        if not message:
            continue
        text = message.get("content") or message.get("refusal") or ""
        calls = tuple(read_calls(choice))
        found.append(Choice(text if isinstance(text, str) else "", tool_finish(calls, choice.get("finish_reason")),
                            calls, _logprobs(choice)))
    return found


def _message(message: Message) -> dict[str, Any]:
    """One chat message: content is a plain string for one text part (what every compatible vendor takes)."""
    text = single_text(message.parts)
    content = text if text is not None else [{"type": "text", "text": part.text} for part in message.parts]
    return {"role": message.role, "content": content}
