"""OpenAI chat features in Gemini's generateContent, and Gemini's answers back in OpenAI's format.

- tools -> ``tools: [{functionDeclarations: [{name, description, parametersJsonSchema}]}]`` (schemas
  checked against Gemini's subset, schema.py); tool_choice auto|none|required|function ->
  ``toolConfig.functionCallingConfig.mode`` AUTO|NONE|ANY|ANY + ``allowedFunctionNames``; a ``strict``
  function under auto -> mode VALIDATED (calls checked by constrained decoding).
- Call ids: Gemini matches a ``functionResponse`` to its ``functionCall`` by name and order, and
  may give no id. We answer with the vendor's id when it gives one, else ``call_`` + 24 random hex;
  a ``thoughtSignature`` on the call (which Gemini needs back on the next turn) rides in the id after
  ``__thought__``. We never send ids to Gemini: a ``tool`` message's name is found from its
  ``tool_call_id`` among the conversation's assistant ``tool_calls``, and the signature is restored.
- tool results -> ``functionResponse.response``: the content when it is a JSON object, else
  ``{"result": content}``; they and any following user message make one ``user`` turn.
- images: data URLs -> ``inlineData``; remote URLs are refused (Gemini needs bytes or uploaded files).
- response_format json_object -> ``responseMimeType: application/json``; json_schema -> that plus
  ``responseJsonSchema``. ``parallel_tool_calls: false`` is refused (no such control).
- reasoning_effort -> ``thinkingConfig.thinkingLevel`` (Gemini 3+) or ``thinkingBudget`` (reasoning.py).
Docs: https://ai.google.dev/gemini-api/docs/function-calling
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from .errors import AgentParamError
from .images import ImageInput
from .messages import (FunctionTool, Message, ToolChoice, group_turns, openai_tool_call, read_messages,
                       read_tool_choice, read_tools, refuse_parallel_off, split_system, tool_names_by_id)
from .reasoning import gemini_thinking
from .schema import gemini_schema
from .structured import read_response_format

SIGNATURE = "__thought__"
FINISH = {"STOP": "stop", "MAX_TOKENS": "length", "SAFETY": "content_filter", "RECITATION": "content_filter",
          "BLOCKLIST": "content_filter", "PROHIBITED_CONTENT": "content_filter", "SPII": "content_filter",
          "IMAGE_SAFETY": "content_filter"}


def new_call_id() -> str:
    """Return an id for a Gemini function call that came without one."""
    return "call_" + uuid.uuid4().hex[:24]


def request_fields(body: Mapping[str, Any], model: str = "") -> dict[str, Any]:
    """Return generateContent fields: contents, systemInstruction, tools, toolConfig, and the
    generationConfig entries for response_format and reasoning (merge those into the adapter's).
    ``model`` is the API model id (it decides how reasoning is asked for)."""
    all_messages = read_messages(body)
    system, rest = split_system(all_messages)
    tools = read_tools(body)
    refuse_parallel_off(body, "Gemini")
    fields: dict[str, Any] = {"contents": contents(rest, tool_names_by_id(all_messages))}
    if system:
        fields["systemInstruction"] = {"parts": [{"text": system}]}
    fields.update(tool_fields(tools, read_tool_choice(body, tools)))
    generation = generation_config(body, model)
    if generation:
        fields["generationConfig"] = generation
    return fields


def tool_fields(tools: list[FunctionTool], choice: ToolChoice) -> dict[str, Any]:
    """Return ``tools`` and ``toolConfig`` (nothing when no tools are offered)."""
    if not tools:
        return {}
    mode = {"auto": "AUTO", "none": "NONE", "required": "ANY", "function": "ANY"}[choice.mode]
    if mode == "AUTO" and any(t.strict for t in tools):
        mode = "VALIDATED"
    config: dict[str, Any] = {"mode": mode}
    if choice.name:
        config["allowedFunctionNames"] = [choice.name]
    return {"tools": [{"functionDeclarations": [_declaration(t, i) for i, t in enumerate(tools)]}],
            "toolConfig": {"functionCallingConfig": config}}


def _declaration(tool: FunctionTool, index: int) -> dict[str, Any]:
    declaration: dict[str, Any] = {
        "name": tool.name,
        "parametersJsonSchema": gemini_schema(tool.parameters, f"tools[{index}].function.parameters")}
    if tool.description:
        declaration["description"] = tool.description
    return declaration


def generation_config(body: Mapping[str, Any], model: str = "") -> dict[str, Any]:
    """Return the generationConfig entries response_format and reasoning_effort ask for."""
    config: dict[str, Any] = {}
    fmt = read_response_format(body)
    if fmt.kind != "text":
        config["responseMimeType"] = "application/json"
    if fmt.kind == "json_schema":
        config["responseJsonSchema"] = gemini_schema(fmt.schema, "response_format.json_schema.schema")
    thinking = gemini_thinking(body, model)
    if thinking:
        config["thinkingConfig"] = thinking
    return config


def contents(rest: list[Message], names: dict[str, str]) -> list[dict[str, Any]]:
    """Return Gemini's ``contents`` for the non-system messages."""
    turns = group_turns(rest, lambda m: "model" if m.role == "assistant" else "user")
    out = []
    for role, group in turns:
        parts = [_response(m, names) for m in group if m.role == "tool"]
        parts += [p for m in group if m.role != "tool" for p in _parts(m)]
        if not parts:
            raise AgentParamError(f"messages[{group[0].index}].content", "a message has no content to send")
        out.append({"role": role, "parts": parts})
    return out


def _parts(message: Message) -> list[dict[str, Any]]:
    parts = [_image(p) if isinstance(p, ImageInput) else {"text": p}
             for p in message.parts if not (isinstance(p, str) and not p)]
    for call in message.tool_calls:
        part: dict[str, Any] = {"functionCall": {"name": call.name, "args": call.arguments}}
        signature = call.id.partition(SIGNATURE)[2]
        if signature:
            part["thoughtSignature"] = signature
        parts.append(part)
    return parts


def _response(message: Message, names: dict[str, str]) -> dict[str, Any]:
    name = names.get(message.tool_call_id or "")
    if name is None:
        raise AgentParamError(f"messages[{message.index}].tool_call_id",
                              f"messages[{message.index}].tool_call_id matches no earlier assistant tool call")
    try:
        value = json.loads(message.text)
    except (ValueError, RecursionError):
        value = None
    return {"functionResponse": {"name": name, "response": value if isinstance(value, dict)
                                 else {"result": message.text}}}


def _image(image: ImageInput) -> dict[str, Any]:
    image.require_bytes("Gemini")
    return {"inlineData": {"mimeType": image.media_type, "data": image.data}}


# --- answers ---------------------------------------------------------------------------------

def _function_calls(candidate: Any, make_id: Callable[[], str]) -> list[dict[str, Any]]:
    parts = ((candidate or {}).get("content") or {}).get("parts") if isinstance(candidate, dict) else None
    calls = []
    for part in parts if isinstance(parts, list) else []:
        call = part.get("functionCall") if isinstance(part, dict) else None
        if not isinstance(call, dict) or "name" not in call:
            continue
        call_id = call.get("id") if isinstance(call.get("id"), str) and call.get("id") else make_id()
        if isinstance(part.get("thoughtSignature"), str) and part["thoughtSignature"]:
            call_id = f"{call_id}{SIGNATURE}{part['thoughtSignature']}"
        calls.append(openai_tool_call(call_id, call["name"], call.get("args")))
    return calls


def tool_calls(payload: Mapping[str, Any], make_id: Callable[[], str] = new_call_id) -> list[dict[str, Any]]:
    """Return the first candidate's ``functionCall`` parts as OpenAI ``tool_calls`` (in order)."""
    candidates = payload.get("candidates") if isinstance(payload, Mapping) else None
    return _function_calls(candidates[0], make_id) if isinstance(candidates, list) and candidates else []


def finish_reason(reason: str | None, called: bool = False) -> str | None:
    """Return OpenAI's finish_reason for Gemini's finishReason (STOP with calls is tool_calls)."""
    if called and reason in (None, "STOP"):
        return "tool_calls"
    return FINISH.get(reason or "", reason.lower() if reason else None)


class ToolCallStream:
    """Turn streamed Gemini chunks into OpenAI ``delta.tool_calls`` entries.

    Gemini streams each ``functionCall`` part whole, so one delta carries id, name and all arguments.
    """

    def __init__(self, make_id: Callable[[], str] = new_call_id) -> None:
        self._count = 0
        self._make_id = make_id

    @property
    def called(self) -> bool:
        return self._count > 0

    def feed(self, chunk: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Return the tool-call deltas of one streamed GenerateContentResponse."""
        deltas = []
        for call in tool_calls(chunk, self._make_id):
            deltas.append({"index": self._count, **call})
            self._count += 1
        return deltas
