"""OpenAI, Azure OpenAI and the OpenAI-compatible vendors: the features pass through as sent.

The fields are read first (so a malformed tool, tool_choice, response_format or image is our 400,
not the vendor's), then forwarded unchanged. Remote image URLs are passed on: those vendors fetch
them, we do not.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .messages import read_messages, read_tool_choice, read_tools
from .reasoning import read_effort
from .structured import read_response_format

FEATURES = ("tools", "tool_choice", "parallel_tool_calls", "response_format", "reasoning_effort")
# Together's spec types an assistant turn's tool_calls with its streaming shape, whose ``index`` is required.
INDEXED_TOOL_CALLS = frozenset({"together"})


def request_fields(body: Mapping[str, Any], vendor: str = "openai") -> dict[str, Any]:
    """Return the messages and the agent features to forward to ``vendor`` (a Vendor.key), checked."""
    read_messages(body)
    read_tool_choice(body, read_tools(body))
    read_response_format(body)
    read_effort(body)
    # an assistant turn with tool_calls may carry "content": null; vendors' specs want it omitted
    fields = {"messages": [_message(m, vendor in INDEXED_TOOL_CALLS) for m in body["messages"]]}
    fields.update({k: body[k] for k in FEATURES if body.get(k) is not None})
    return fields


def _message(message: Mapping[str, Any], indexed: bool) -> dict[str, Any]:
    out = {k: v for k, v in message.items() if v is not None}
    if indexed and out.get("tool_calls"):
        out["tool_calls"] = [{**call, "index": i} for i, call in enumerate(out["tool_calls"])]
    return out


def tool_calls(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return ``choices[0].message.tool_calls`` of a vendor answer (function calls only)."""
    try:
        calls = payload["choices"][0]["message"].get("tool_calls") or []
    except (KeyError, IndexError, TypeError, AttributeError):
        return []
    return [{"id": c["id"], "type": "function",
             "function": {"name": c["function"]["name"], "arguments": c["function"].get("arguments") or ""}}
            for c in calls if isinstance(c, dict) and isinstance(c.get("id"), str)
            and isinstance(c.get("function"), dict) and "name" in c["function"]]
