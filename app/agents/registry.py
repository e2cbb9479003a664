"""One entry point per job, by adapter dialect (``Vendor.api``), for the gateway and the adapters."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import anthropic, bedrock, gemini, openai_chat
from .images import ImageCost, image_cost, image_rule, images_of


@dataclass(frozen=True)
class Dialect:
    fields: Callable[..., dict]                       # (body, max_tokens, model, vendor) -> vendor body fields
    tool_calls: Callable[[Mapping[str, Any]], list]   # vendor answer -> OpenAI tool_calls
    finish_reason: Callable[[str | None, bool], str | None] | None   # None: already OpenAI's
    stream: type | None                               # ToolCallStream class; None: deltas pass through


def _openai(body, max_tokens, model, vendor):
    return openai_chat.request_fields(body, vendor)


DIALECTS: dict[str, Dialect] = {
    "openai_chat": Dialect(_openai, openai_chat.tool_calls, None, None),
    "azure": Dialect(_openai, openai_chat.tool_calls, None, None),
    "anthropic": Dialect(lambda b, mt, m, v: anthropic.request_fields(b, max_tokens=mt, model=m),
                         anthropic.tool_calls, anthropic.finish_reason, anthropic.ToolCallStream),
    "gemini": Dialect(lambda b, mt, m, v: gemini.request_fields(b, m), gemini.tool_calls, gemini.finish_reason,
                      gemini.ToolCallStream),
    "bedrock": Dialect(lambda b, mt, m, v: bedrock.request_fields(b, max_tokens=mt, model_id=m),
                       bedrock.tool_calls, bedrock.finish_reason, bedrock.ToolCallStream),
}


def request_fields(api: str, body: Mapping[str, Any], *, max_tokens: int, model: str, vendor: str) -> dict:
    """Return the vendor body fields (messages, system, tools, structured output, reasoning) for an
    OpenAI chat request; raise AgentParamError (a 400 naming the parameter) for what cannot be honoured.

    ``api`` is ``Vendor.api``, ``model`` the API model id sent to the vendor, ``vendor`` ``Vendor.key``.
    """
    return DIALECTS[api].fields(body, max_tokens, model, vendor)


def request_image_cost(body: Mapping[str, Any], provider: str, api_model: str) -> ImageCost:
    """Return the input tokens a request's images add for a catalog row (by its vendor's documented rule)."""
    return image_cost(images_of(dict(body)), image_rule(provider, api_model))
