"""Read the OpenAI side of a request: messages, content parts, tool calls and results, tools, tool_choice.

Every dialect module builds on these readers, so a shape is checked once and a bad one is an
``AgentParamError`` naming where it is (``messages[2].tool_calls[0].function.arguments``).
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import AgentParamError
from .images import ImageInput, parse_image_part

TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")   # OpenAI's rule; Anthropic, Gemini and Bedrock accept it
SYSTEM_ROLES = ("system", "developer")


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict        # the decoded JSON object of function.arguments


@dataclass(frozen=True)
class FunctionTool:
    name: str
    description: str | None
    parameters: dict       # a JSON Schema of type object
    strict: bool = False


@dataclass(frozen=True)
class ToolChoice:
    mode: str              # auto | none | required | function
    name: str | None = None


@dataclass(frozen=True)
class Message:
    """One OpenAI message, read: its index in ``messages`` for error names, text and image parts."""

    index: int
    role: str
    parts: tuple = ()                       # str (text) or ImageInput, in order
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def text(self) -> str:
        return "".join(p for p in self.parts if isinstance(p, str))


def read_messages(body: Mapping[str, Any]) -> list[Message]:
    """Return every message of an OpenAI request, checked and read."""
    raw = body.get("messages")
    if not isinstance(raw, list) or not raw:
        raise AgentParamError("messages", "messages must be a non-empty array")
    return [_message(i, m) for i, m in enumerate(raw)]


def _message(index: int, raw: Any) -> Message:
    where = f"messages[{index}]"
    if not isinstance(raw, dict):
        raise AgentParamError(where, f"{where} must be an object")
    role = raw.get("role")
    if role in SYSTEM_ROLES or role == "user":
        return Message(index, role, _parts(raw.get("content"), where, images=role == "user"))
    if role == "assistant":
        calls = tuple(_tool_call(c, f"{where}.tool_calls[{j}]") for j, c in enumerate(raw.get("tool_calls") or []))
        parts = _parts(raw.get("content"), where, images=False, optional=bool(calls))
        return Message(index, role, parts, calls)
    if role == "tool":
        call_id = raw.get("tool_call_id")
        if not isinstance(call_id, str) or not call_id:
            raise AgentParamError(f"{where}.tool_call_id", f"{where}.tool_call_id must be a non-empty string")
        return Message(index, role, _parts(raw.get("content"), where, images=False, optional=True),
                       tool_call_id=call_id)
    raise AgentParamError(f"{where}.role", f"{where}.role {role!r} is not one of system, developer, user, "
                          "assistant, tool")


def _parts(content: Any, where: str, *, images: bool, optional: bool = False) -> tuple:
    if content is None or content == "":
        if optional:
            return ()
        raise AgentParamError(f"{where}.content", f"{where}.content must not be empty")
    if isinstance(content, str):
        return (content,)
    if not isinstance(content, list):
        raise AgentParamError(f"{where}.content", f"{where}.content must be a string or an array of parts")
    return tuple(_part(part, f"{where}.content[{j}]", images) for j, part in enumerate(content))


def _part(part: Any, where: str, images: bool) -> str | ImageInput:
    kind = part.get("type") if isinstance(part, dict) else None
    if kind == "text" and isinstance(part.get("text"), str):
        return part["text"]
    if kind == "image_url" and images:
        return parse_image_part(part, where)
    raise AgentParamError(where, f"{where}: unsupported content part {kind!r} here "
                          f"(text{', image_url' if images else ''} only)")


def _tool_call(raw: Any, where: str) -> ToolCall:
    function = raw.get("function") if isinstance(raw, dict) else None
    if not isinstance(function, dict) or raw.get("type", "function") != "function":
        raise AgentParamError(where, f"{where} must be a function tool call")
    if not isinstance(raw.get("id"), str) or not raw["id"]:
        raise AgentParamError(f"{where}.id", f"{where}.id must be a non-empty string")
    name = function.get("name")
    if not isinstance(name, str) or not TOOL_NAME.match(name):
        raise AgentParamError(f"{where}.function.name", f"{where}.function.name must match {TOOL_NAME.pattern}")
    return ToolCall(raw["id"], name, decode_arguments(function.get("arguments"), f"{where}.function.arguments"))


def decode_arguments(arguments: Any, where: str) -> dict:
    """Return the JSON object a tool call's ``arguments`` string holds ("" means {})."""
    if arguments in (None, ""):
        return {}
    try:
        value = json.loads(arguments) if isinstance(arguments, str) else None
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        raise AgentParamError(where, f"{where} must be a string holding a JSON object")
    return value


def encode_arguments(arguments: Any) -> str:
    """Return a vendor's tool input as OpenAI's ``function.arguments`` string (compact JSON)."""
    return json.dumps(arguments if isinstance(arguments, dict) else {}, ensure_ascii=False, separators=(",", ":"))


def split_system(messages: Sequence[Message]) -> tuple[str | None, list[Message]]:
    """Return the system and developer texts joined (None if none) and the other messages."""
    system = [m.text for m in messages if m.role in SYSTEM_ROLES]
    return ("\n\n".join(system) if system else None), [m for m in messages if m.role not in SYSTEM_ROLES]


def tool_names_by_id(messages: Sequence[Message]) -> dict[str, str]:
    """Map each tool call id in the conversation to its function name."""
    return {call.id: call.name for m in messages for call in m.tool_calls}


def read_tools(body: Mapping[str, Any]) -> list[FunctionTool]:
    """Return the request's function tools ([] without ``tools``); other tool types are refused."""
    raw = body.get("tools")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise AgentParamError("tools", "tools must be an array")
    tools = [_tool(t, f"tools[{i}]") for i, t in enumerate(raw)]
    names = [t.name for t in tools]
    if len(set(names)) != len(names):
        raise AgentParamError("tools", "tools must have distinct function names")
    return tools


def _tool(raw: Any, where: str) -> FunctionTool:
    if not isinstance(raw, dict) or raw.get("type") != "function" or not isinstance(raw.get("function"), dict):
        raise AgentParamError(f"{where}.type", f"{where}: only tools of type 'function' are supported")
    function = raw["function"]
    name = function.get("name")
    if not isinstance(name, str) or not TOOL_NAME.match(name):
        raise AgentParamError(f"{where}.function.name", f"{where}.function.name must match {TOOL_NAME.pattern}")
    parameters = function.get("parameters", {"type": "object", "properties": {}})
    if not isinstance(parameters, dict) or parameters.get("type", "object") != "object":
        raise AgentParamError(f"{where}.function.parameters",
                              f"{where}.function.parameters must be a JSON Schema of type object")
    description = function.get("description")
    return FunctionTool(name, description if isinstance(description, str) and description else None,
                        {"type": "object", **parameters}, bool(function.get("strict")))


def read_tool_choice(body: Mapping[str, Any], tools: Sequence[FunctionTool]) -> ToolChoice:
    """Return tool_choice, defaulting to auto (none without tools), checked against the tools offered."""
    raw = body.get("tool_choice")
    if raw is None:
        return ToolChoice("auto" if tools else "none")
    if raw in ("auto", "none", "required"):
        choice = ToolChoice(raw)
    elif isinstance(raw, dict) and raw.get("type") == "function" and isinstance(raw.get("function"), dict):
        choice = ToolChoice("function", raw["function"].get("name"))
        if choice.name not in {t.name for t in tools}:
            raise AgentParamError("tool_choice", f"tool_choice names {choice.name!r}, which is not in tools")
    else:
        raise AgentParamError("tool_choice", "tool_choice must be auto, none, required or "
                              '{"type": "function", "function": {"name": ...}}')
    if choice.mode in ("required", "function") and not tools:
        raise AgentParamError("tool_choice", f"tool_choice {choice.mode!r} needs tools")
    return choice


def group_turns(messages: Sequence[Message], role_of) -> list[tuple[str, list[Message]]]:
    """Group consecutive messages that land in the same vendor role (tool results join the user turn)."""
    turns: list[tuple[str, list[Message]]] = []
    for message in messages:
        role = role_of(message)
        if turns and turns[-1][0] == role:
            turns[-1][1].append(message)
        else:
            turns.append((role, [message]))
    return turns


SAFE_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")   # Anthropic's and Bedrock's tool-use id rule


def vendor_id(call_id: str) -> str:
    """Return a tool call id Anthropic and Bedrock accept: itself when it fits, else a stable hash of it
    (the same on the call and on its result, so they still match)."""
    if SAFE_ID.match(call_id):
        return call_id
    import hashlib
    return "call_" + hashlib.sha256(call_id.encode("utf-8")).hexdigest()[:40]


def openai_tool_call(call_id: str, name: str, arguments: Any) -> dict:
    """Return one entry of an OpenAI assistant message's ``tool_calls``."""
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": encode_arguments(arguments)}}


def refuse_parallel_off(body: Mapping[str, Any], vendor: str) -> None:
    """Refuse ``parallel_tool_calls: false`` where the vendor has no way to honour it."""
    if body.get("parallel_tool_calls") is False and body.get("tools"):
        raise AgentParamError("parallel_tool_calls", f"{vendor} cannot be limited to one tool call per turn")
