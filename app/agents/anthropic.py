"""OpenAI chat features in Anthropic's Messages API, and Anthropic's answers back in OpenAI's format.

- tools -> ``tools[{name, description, input_schema}]``; tool_choice auto|none|required|function ->
  ``{"type": auto|none|any|tool}``; ``parallel_tool_calls: false`` -> ``disable_parallel_tool_use``.
  ``strict`` on a function is not enforced (no such field in the Messages spec we validate against).
- assistant ``tool_calls`` -> ``tool_use`` blocks; ``tool`` messages -> ``tool_result`` blocks, merged
  with any following user message into one user turn (consecutive same-role turns are merged).
- images: data URLs -> base64 image blocks; https URLs -> URL image blocks (Anthropic fetches them).
- ``response_format`` json_object/json_schema is refused: the Messages spec in ../shared/specs has
  no structured output (and we do not fake it with a forced tool).
- ``reasoning_effort`` -> ``output_config.effort`` on the Claude models that take it, else
  ``thinking`` with a token budget (see reasoning.py).
Docs: https://docs.claude.com/en/docs/agents-and-tools/tool-use/implement-tool-use
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import AgentParamError
from .images import ImageInput
from .messages import (FunctionTool, Message, ToolChoice, group_turns, openai_tool_call, read_messages,
                       read_tool_choice, read_tools, split_system, vendor_id)
from .reasoning import anthropic_thinking, claude_effort, refuse_forced_tools, takes_effort
from .structured import refuse_structured

FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls",
          "refusal": "content_filter", "pause_turn": "stop"}


def request_fields(body: Mapping[str, Any], *, max_tokens: int, model: str) -> dict[str, Any]:
    """Return the Messages fields for an OpenAI request: system, messages, tools, tool_choice, and
    output_config or thinking. ``model`` is the API model id (it decides how reasoning is asked for)."""
    system, rest = split_system(read_messages(body))
    tools = read_tools(body)
    fields: dict[str, Any] = {"messages": messages(rest)}
    if system:
        fields["system"] = system
    fields.update(tool_fields(tools, read_tool_choice(body, tools), body.get("parallel_tool_calls")))
    refuse_forced_tools(body, model)
    refuse_structured(body, "Anthropic")
    fields.update(reasoning_fields(body, max_tokens, model))
    return fields


def reasoning_fields(body: Mapping[str, Any], max_tokens: int, model: str) -> dict[str, Any]:
    """Return ``output_config.effort`` or ``thinking`` for the request's reasoning_effort (none without)."""
    if takes_effort(model):
        effort = claude_effort(body)
        return {"output_config": {"effort": effort}} if effort else {}
    thinking = anthropic_thinking(body, max_tokens)
    return {"thinking": thinking} if thinking else {}


def tool_fields(tools: list[FunctionTool], choice: ToolChoice, parallel: Any = None) -> dict[str, Any]:
    """Return ``tools`` and ``tool_choice`` (nothing when no tools are offered)."""
    if not tools:
        return {}
    kind = {"auto": "auto", "none": "none", "required": "any", "function": "tool"}[choice.mode]
    tool_choice: dict[str, Any] = {"type": kind}
    if choice.name:
        tool_choice["name"] = choice.name
    if parallel is False and kind != "none":
        tool_choice["disable_parallel_tool_use"] = True
    return {"tools": [_tool(t) for t in tools], "tool_choice": tool_choice}


def _tool(tool: FunctionTool) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": tool.name, "input_schema": tool.parameters}
    if tool.description:
        spec["description"] = tool.description
    return spec


def messages(rest: list[Message]) -> list[dict[str, Any]]:
    """Return Anthropic's alternating turns for the non-system messages."""
    turns = group_turns(rest, lambda m: "assistant" if m.role == "assistant" else "user")
    return [{"role": role, "content": _blocks(group)} for role, group in turns]


def _blocks(group: list[Message]) -> list[dict[str, Any]]:
    results = [_result(m) for m in group if m.role == "tool"]   # tool_result blocks must come first
    blocks = [b for m in group if m.role != "tool" for b in _content(m)]
    if not results and not blocks:
        raise AgentParamError(f"messages[{group[0].index}].content", "a message has no content to send")
    return results + blocks


def _content(message: Message) -> list[dict[str, Any]]:
    blocks = [_image(p) if isinstance(p, ImageInput) else {"type": "text", "text": p}
              for p in message.parts if not (isinstance(p, str) and not p)]
    blocks += [{"type": "tool_use", "id": vendor_id(c.id), "name": c.name, "input": c.arguments}
               for c in message.tool_calls]
    return blocks


def _result(message: Message) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": vendor_id(message.tool_call_id or "")}
    if message.text:
        block["content"] = message.text
    return block


def _image(image: ImageInput) -> dict[str, Any]:
    if image.is_remote:
        return {"type": "image", "source": {"type": "url", "url": image.url}}
    return {"type": "image", "source": {"type": "base64", "media_type": image.media_type, "data": image.data}}


# --- answers ---------------------------------------------------------------------------------

def tool_calls(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the answer's ``tool_use`` blocks as OpenAI ``tool_calls`` (in order)."""
    blocks = payload.get("content") if isinstance(payload, Mapping) else None
    return [openai_tool_call(b["id"], b["name"], b.get("input"))
            for b in blocks or [] if isinstance(b, dict) and b.get("type") == "tool_use"
            and isinstance(b.get("id"), str) and "name" in b]


def finish_reason(stop_reason: str | None, called: bool = False) -> str | None:
    """Return OpenAI's finish_reason for Anthropic's stop_reason."""
    if called:
        return "tool_calls"
    return FINISH.get(stop_reason or "", stop_reason)


class ToolCallStream:
    """Turn Anthropic stream events into OpenAI ``delta.tool_calls`` entries.

    ``content_block_start`` with a ``tool_use`` block opens a call (id, name, empty arguments);
    each ``input_json_delta`` appends to its arguments. Other events give nothing.
    """

    def __init__(self) -> None:
        self._calls: dict[int, int] = {}   # Anthropic content block index -> OpenAI tool call index

    @property
    def called(self) -> bool:
        return bool(self._calls)

    def feed(self, event: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Return the tool-call deltas one decoded SSE event (its JSON ``data``) carries."""
        kind, block_index = event.get("type"), event.get("index")
        if kind == "content_block_start":
            block = event.get("content_block") or {}
            if block.get("type") != "tool_use":
                return []
            self._calls[block_index] = len(self._calls)
            return [{"index": self._calls[block_index], "id": block.get("id"), "type": "function",
                     "function": {"name": block.get("name"), "arguments": ""}}]
        delta = event.get("delta") or {}
        if kind == "content_block_delta" and delta.get("type") == "input_json_delta" and block_index in self._calls:
            return [{"index": self._calls[block_index], "function": {"arguments": delta.get("partial_json", "")}}]
        return []
