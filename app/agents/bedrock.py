"""OpenAI chat features in Bedrock's Converse API, and Converse answers back in OpenAI's format.

- tools -> ``toolConfig.tools[{toolSpec: {name, description, inputSchema: {json}, strict}}]``;
  tool_choice auto|required|function -> ``toolChoice`` ``{auto: {}}``|``{any: {}}``|``{tool: {name}}``.
  Converse has no "none": with tool_choice none we send no toolConfig (the model cannot call a
  tool it is not shown); when the conversation already holds tool calls Converse requires a
  toolConfig, so tool_choice none is then refused. ``parallel_tool_calls: false`` is refused.
- assistant ``tool_calls`` -> ``toolUse`` blocks; ``tool`` messages -> ``toolResult`` blocks
  (``content: [{text}]``), merged with any following user message into one user turn.
- images: data URLs -> ``image: {format, source: {bytes}}``; remote URLs are refused (Converse takes
  bytes or S3 locations only, and we never fetch).
- response_format json_schema -> ``outputConfig.textFormat`` (type json_schema, the schema as a JSON
  string); json_object is refused (Converse needs a schema).
- reasoning_effort -> for Claude models that take effort, Converse's own ``outputConfig.effort``;
  for other Claude models Anthropic's ``thinking`` budget in ``additionalModelRequestFields``
  (https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-extended-thinking.html);
  refused for non-Claude models (no documented mapping).
Docs: https://docs.aws.amazon.com/bedrock/latest/userguide/tool-use-inference-call.html
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .errors import AgentParamError
from .images import ImageInput
from .messages import (FunctionTool, Message, ToolChoice, group_turns, openai_tool_call, read_messages,
                       read_tool_choice, read_tools, refuse_parallel_off, split_system, vendor_id)
from .reasoning import anthropic_thinking, claude_effort, refuse_forced_tools, read_effort, takes_effort
from .structured import read_response_format

FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls",
          "guardrail_intervened": "content_filter", "content_filtered": "content_filter",
          "model_context_window_exceeded": "length"}
IMAGE_FORMATS = {"image/png": "png", "image/jpeg": "jpeg", "image/gif": "gif", "image/webp": "webp"}


def is_claude(model_id: str) -> bool:
    """Tell whether a Bedrock model id (or inference profile) is an Anthropic Claude model."""
    return "anthropic.claude" in model_id


def request_fields(body: Mapping[str, Any], *, max_tokens: int, model_id: str) -> dict[str, Any]:
    """Return Converse fields: messages, system, toolConfig, outputConfig, additionalModelRequestFields."""
    system, rest = split_system(read_messages(body))
    tools = read_tools(body)
    refuse_parallel_off(body, "Bedrock Converse")
    fields: dict[str, Any] = {"messages": messages(rest)}
    if system:
        fields["system"] = [{"text": system}]
    fields.update(tool_fields(tools, read_tool_choice(body, tools), any(m.tool_calls for m in rest)))
    if is_claude(model_id):
        refuse_forced_tools(body, model_id)
    output = output_fields(body)
    reasoning = reasoning_fields(body, max_tokens, model_id)
    if "outputConfig" in output and "outputConfig" in reasoning:
        output["outputConfig"].update(reasoning.pop("outputConfig"))
    fields.update(output)
    fields.update(reasoning)
    return fields


def tool_fields(tools: list[FunctionTool], choice: ToolChoice, history: bool = False) -> dict[str, Any]:
    """Return ``toolConfig`` (nothing without tools, or with tool_choice none before any tool call)."""
    if not tools:
        return {}
    if choice.mode == "none":
        if history:
            raise AgentParamError("tool_choice", "Bedrock Converse has no tool_choice none, and a conversation "
                                  "holding tool calls must offer its tools: use auto, or drop the tool turns")
        return {}
    picked = {"auto": {"auto": {}}, "required": {"any": {}}}.get(choice.mode) or {"tool": {"name": choice.name}}
    return {"toolConfig": {"tools": [_tool(t) for t in tools], "toolChoice": picked}}


def _tool(tool: FunctionTool) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": tool.name, "inputSchema": {"json": tool.parameters}}
    if tool.description:
        spec["description"] = tool.description
    if tool.strict:
        spec["strict"] = True
    return {"toolSpec": spec}


def output_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``outputConfig`` for a json_schema response_format; refuse json_object."""
    fmt = read_response_format(body)
    if fmt.kind == "text":
        return {}
    if fmt.kind == "json_object":
        raise AgentParamError("response_format", "Bedrock Converse needs a schema for structured output: "
                              "use response_format json_schema")
    schema: dict[str, Any] = {"schema": json.dumps(fmt.schema, separators=(",", ":")), "name": fmt.name}
    if fmt.description:
        schema["description"] = fmt.description
    return {"outputConfig": {"textFormat": {"type": "json_schema", "structure": {"jsonSchema": schema}}}}


def reasoning_fields(body: Mapping[str, Any], max_tokens: int, model_id: str) -> dict[str, Any]:
    """Return ``outputConfig.effort`` or ``additionalModelRequestFields.thinking`` for a Claude model."""
    if read_effort(body) is None:
        return {}
    if not is_claude(model_id):
        raise AgentParamError("reasoning_effort", f"reasoning_effort is mapped for Claude models on Bedrock only, "
                              f"not {model_id}")
    if takes_effort(model_id):
        return {"outputConfig": {"effort": claude_effort(body)}}
    return {"additionalModelRequestFields": {"thinking": anthropic_thinking(body, max_tokens)}}


def messages(rest: list[Message]) -> list[dict[str, Any]]:
    """Return Converse's alternating messages for the non-system messages."""
    turns = group_turns(rest, lambda m: "assistant" if m.role == "assistant" else "user")
    out = []
    for role, group in turns:
        blocks = [_result(m) for m in group if m.role == "tool"]
        blocks += [b for m in group if m.role != "tool" for b in _content(m)]
        if not blocks:
            raise AgentParamError(f"messages[{group[0].index}].content", "a message has no content to send")
        out.append({"role": role, "content": blocks})
    return out


def _content(message: Message) -> list[dict[str, Any]]:
    blocks = [_image(p) if isinstance(p, ImageInput) else {"text": p}
              for p in message.parts if not (isinstance(p, str) and not p)]
    blocks += [{"toolUse": {"toolUseId": vendor_id(c.id), "name": c.name, "input": c.arguments}}
               for c in message.tool_calls]
    return blocks


def _result(message: Message) -> dict[str, Any]:
    return {"toolResult": {"toolUseId": vendor_id(message.tool_call_id or ""),
                           "content": [{"text": message.text}]}}


def _image(image: ImageInput) -> dict[str, Any]:
    image.require_bytes("Bedrock Converse")
    return {"image": {"format": IMAGE_FORMATS[image.media_type], "source": {"bytes": image.data}}}


# --- answers ---------------------------------------------------------------------------------

def tool_calls(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the output message's ``toolUse`` blocks as OpenAI ``tool_calls`` (in order)."""
    try:
        blocks = payload["output"]["message"]["content"]
    except (KeyError, TypeError):
        return []
    uses = [b["toolUse"] for b in blocks if isinstance(b, dict) and isinstance(b.get("toolUse"), dict)]
    return [openai_tool_call(u["toolUseId"], u["name"], u.get("input")) for u in uses
            if isinstance(u.get("toolUseId"), str) and "name" in u]


def finish_reason(stop_reason: str | None, called: bool = False) -> str | None:
    """Return OpenAI's finish_reason for Converse's stopReason."""
    if called:
        return "tool_calls"
    return FINISH.get(stop_reason or "", stop_reason)


class ToolCallStream:
    """Turn ConverseStream events into OpenAI ``delta.tool_calls`` entries.

    Events are fed as botocore decodes them: ``{"contentBlockStart": {...}}``,
    ``{"contentBlockDelta": {...}}``; a ``toolUse`` start opens a call, each ``toolUse`` delta's
    ``input`` (a piece of JSON text) appends to its arguments.
    """

    def __init__(self) -> None:
        self._calls: dict[int, int] = {}

    @property
    def called(self) -> bool:
        return bool(self._calls)

    def feed(self, event: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Return the tool-call deltas one decoded event carries."""
        start = event.get("contentBlockStart")
        if isinstance(start, dict):
            use = (start.get("start") or {}).get("toolUse")
            if not isinstance(use, dict):
                return []
            self._calls[start.get("contentBlockIndex")] = len(self._calls)
            return [{"index": self._calls[start.get("contentBlockIndex")], "id": use.get("toolUseId"),
                     "type": "function", "function": {"name": use.get("name"), "arguments": ""}}]
        delta = event.get("contentBlockDelta")
        if isinstance(delta, dict) and delta.get("contentBlockIndex") in self._calls:
            use = (delta.get("delta") or {}).get("toolUse")
            if isinstance(use, dict):
                return [{"index": self._calls[delta["contentBlockIndex"]],
                         "function": {"arguments": use.get("input", "")}}]
        return []
