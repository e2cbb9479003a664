"""Tool use as the fake vendors speak it: a request offering tools gets a tool call in the dialect's
real format (unless the last turn carries tool results), and a final text after the results.

``tool_reply(dialect, model, body)`` returns the whole success body, or None when the request neither
offers tools nor carries tool results (the plain echo applies). ``tool_stream(dialect, model, body)``
returns the same answer as the dialect's stream events (dicts, in order) for a streaming fake to send.
Like the real APIs, results must answer calls the conversation made: ``tool_error`` returns the
message of the 400 a vendor would send otherwise (Gemini also wants each call's thoughtSignature back).
"""
from __future__ import annotations

import base64
import json
import time
from typing import Any

SIGNATURE = base64.b64encode(b"fake-thought-signature").decode()
SAMPLES = {"string": "Paris", "integer": 1, "number": 1.5, "boolean": True, "array": [], "object": {}}


def sample_arguments(schema: dict) -> dict:
    """Return arguments filling a JSON Schema's required properties (enums take their first value)."""
    props = schema.get("properties") or {}
    out = {}
    for name in schema.get("required") or list(props)[:1]:
        prop = props.get(name) or {}
        out[name] = (prop.get("enum") or [None])[0] if prop.get("enum") else SAMPLES.get(prop.get("type"), "x")
    return out


# --- reading each dialect's request: offered tools, forced name, last turn's results -----------

def _openai(body: dict) -> tuple[list[tuple[str, dict]], str | None, list[str] | None]:
    tools = [(t["function"]["name"], t["function"].get("parameters") or {}) for t in body.get("tools") or []]
    choice = body.get("tool_choice")
    forced = choice["function"]["name"] if isinstance(choice, dict) else None
    tail = []
    for message in reversed(body.get("messages") or []):
        if message.get("role") != "tool":
            break
        tail.insert(0, str(message.get("content")))
    return ([] if choice == "none" else tools), forced, (tail or None)


def _anthropic(body: dict):
    tools = [(t["name"], t.get("input_schema") or {}) for t in body.get("tools") or []]
    choice = body.get("tool_choice") or {}
    last = (body.get("messages") or [{}])[-1]
    content = last.get("content") if isinstance(last.get("content"), list) else []
    results = [str(b.get("content", "")) for b in content if b.get("type") == "tool_result"]
    return ([] if choice.get("type") == "none" else tools), choice.get("name"), (results or None)


def _gemini(body: dict):
    tools = [(d["name"], d.get("parametersJsonSchema") or d.get("parameters") or {})
             for t in body.get("tools") or [] for d in t.get("functionDeclarations") or []]
    config = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
    forced = (config.get("allowedFunctionNames") or [None])[0]
    parts = ((body.get("contents") or [{}])[-1]).get("parts") or []
    results = [json.dumps(p["functionResponse"].get("response")) for p in parts if "functionResponse" in p]
    return ([] if config.get("mode") == "NONE" else tools), forced, (results or None)


def _bedrock(body: dict):
    config = body.get("toolConfig") or {}
    tools = [(t["toolSpec"]["name"], t["toolSpec"].get("inputSchema", {}).get("json") or {})
             for t in config.get("tools") or [] if "toolSpec" in t]
    forced = ((config.get("toolChoice") or {}).get("tool") or {}).get("name")
    blocks = ((body.get("messages") or [{}])[-1]).get("content") or []
    results = [" ".join(c.get("text", json.dumps(c.get("json"))) for c in b["toolResult"].get("content") or [])
               for b in blocks if "toolResult" in b]
    return tools, forced, (results or None)


READERS = {"openai": _openai, "anthropic": _anthropic, "gemini": _gemini, "bedrock": _bedrock}


def _plan(dialect: str, body: dict) -> tuple[str, Any] | None:
    """Return ("call", (name, arguments)) or ("final", text), or None when tools play no part."""
    tools, forced, results = READERS[dialect](body)
    if results is not None:
        return "final", "Done: " + " | ".join(results)
    if not tools:
        return None
    name, schema = next(((n, s) for n, s in tools if n == forced), tools[0])
    return "call", (name, sample_arguments(schema))


# --- answers ---------------------------------------------------------------------------------

def tool_reply(dialect: str, model: str, body: dict) -> dict | None:
    """Return the dialect's success body for a tool-using request, or None."""
    plan = _plan(dialect, body)
    if plan is None:
        return None
    kind, value = plan
    return (_call_body if kind == "call" else _final_body)(dialect, model, value)


def _usage(dialect: str, out: int) -> dict:
    return {"anthropic": {"input_tokens": 20, "output_tokens": out, "cache_creation_input_tokens": 0,
                          "cache_read_input_tokens": 0},
            "gemini": {"promptTokenCount": 20, "candidatesTokenCount": out, "totalTokenCount": 20 + out},
            "bedrock": {"inputTokens": 20, "outputTokens": out, "totalTokens": 20 + out},
            "openai": {"prompt_tokens": 20, "completion_tokens": out, "total_tokens": 20 + out}}[dialect]


def _call_body(dialect: str, model: str, call: tuple[str, dict]) -> dict:
    name, args = call
    if dialect == "anthropic":
        return {"id": "msg_fake", "type": "message", "role": "assistant", "model": model,
                "content": [{"type": "tool_use", "id": "toolu_fake1", "name": name, "input": args}],
                "stop_reason": "tool_use", "stop_sequence": None, "usage": _usage(dialect, 9)}
    if dialect == "gemini":
        part = {"functionCall": {"name": name, "args": args}, "thoughtSignature": SIGNATURE}
        return {"candidates": [{"content": {"role": "model", "parts": [part]}, "finishReason": "STOP", "index": 0}],
                "usageMetadata": _usage(dialect, 9), "modelVersion": model, "responseId": "fake"}
    if dialect == "bedrock":
        use = {"toolUse": {"toolUseId": "tooluse_fake1", "name": name, "input": args}}
        return {"output": {"message": {"role": "assistant", "content": [use]}}, "stopReason": "tool_use",
                "usage": _usage(dialect, 9), "metrics": {"latencyMs": 5}}
    calls = [{"id": "call_fake1", "type": "function",
              "function": {"name": name, "arguments": json.dumps(args, separators=(",", ":"))}}]
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": None, "refusal": None,
                                                 "tool_calls": calls},
                         "logprobs": None, "finish_reason": "tool_calls"}], "usage": _usage(dialect, 9)}


def _final_body(dialect: str, model: str, text: str) -> dict:
    if dialect == "anthropic":
        return {"id": "msg_fake", "type": "message", "role": "assistant", "model": model,
                "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
                "usage": _usage(dialect, 5)}
    if dialect == "gemini":
        return {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP",
                                "index": 0}], "usageMetadata": _usage(dialect, 5), "modelVersion": model,
                "responseId": "fake"}
    if dialect == "bedrock":
        return {"output": {"message": {"role": "assistant", "content": [{"text": text}]}}, "stopReason": "end_turn",
                "usage": _usage(dialect, 5), "metrics": {"latencyMs": 5}}
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": None},
                         "logprobs": None, "finish_reason": "stop"}], "usage": _usage(dialect, 5)}


# --- the 400s real vendors send for unmatched results -----------------------------------------

def tool_error(dialect: str, body: dict) -> str | None:
    """Return the error a vendor sends when a tool result answers no earlier call, else None."""
    if dialect == "anthropic":
        calls = {b["id"] for m in body.get("messages") or [] if isinstance(m.get("content"), list)
                 for b in m["content"] if b.get("type") == "tool_use"}
        answers = {b["tool_use_id"] for m in body.get("messages") or [] if isinstance(m.get("content"), list)
                   for b in m["content"] if b.get("type") == "tool_result"}
        missing = answers - calls
        return f"tool_result block(s) with no matching tool_use: {sorted(missing)}" if missing else None
    if dialect == "bedrock":
        blocks = [b for m in body.get("messages") or [] for b in m.get("content") or []]
        calls = {b["toolUse"]["toolUseId"] for b in blocks if "toolUse" in b}
        missing = {b["toolResult"]["toolUseId"] for b in blocks if "toolResult" in b} - calls
        if missing:
            return f"The toolResult blocks do not match the toolUse blocks: {sorted(missing)}"
        if (calls or missing) and "toolConfig" not in body:
            return "The toolConfig field must be defined when using toolUse and toolResult content blocks."
        return None
    if dialect == "gemini":
        parts = [p for c in body.get("contents") or [] for p in c.get("parts") or []]
        if any("functionCall" in p and p.get("thoughtSignature") != SIGNATURE for p in parts):
            return "Function call is missing a thought_signature in functionCall parts."
        names = {p["functionCall"]["name"] for p in parts if "functionCall" in p}
        missing = {p["functionResponse"]["name"] for p in parts if "functionResponse" in p} - names
        return f"functionResponse for unknown function(s) {sorted(missing)}" if missing else None
    return None


# --- streams -----------------------------------------------------------------------------------

def final_text(dialect: str, body: dict) -> str | None:
    """Return the text the model finishes with once the last turn carries tool results, else None."""
    plan = _plan(dialect, body)
    return plan[1] if plan is not None and plan[0] == "final" else None


def tool_stream(dialect: str, model: str, body: dict) -> list[dict] | None:
    """Return the stream events of the tool call (or final text) ``tool_reply`` gives, in the dialect's form."""
    plan = _plan(dialect, body)
    if plan is None:
        return None
    kind, value = plan
    if kind == "final":
        return None   # a final text streams like any other text
    name, args = value
    arguments = json.dumps(args, separators=(",", ":"))
    halves = [arguments[: len(arguments) // 2], arguments[len(arguments) // 2:]]
    if dialect == "anthropic":
        return [{"type": "message_start", "message": {**_call_body(dialect, model, value), "content": [],
                                                      "stop_reason": None}},
                {"type": "content_block_start", "index": 0,
                 "content_block": {"type": "tool_use", "id": "toolu_fake1", "name": name, "input": {}}},
                *({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": h}}
                  for h in halves),
                {"type": "content_block_stop", "index": 0},
                {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                 "usage": {"output_tokens": 9}},
                {"type": "message_stop"}]
    if dialect == "gemini":
        return [_call_body(dialect, model, value)]   # Gemini streams a functionCall part whole
    if dialect == "bedrock":
        return [{"messageStart": {"role": "assistant"}},
                {"contentBlockStart": {"start": {"toolUse": {"toolUseId": "tooluse_fake1", "name": name}},
                                       "contentBlockIndex": 0}},
                *({"contentBlockDelta": {"delta": {"toolUse": {"input": h}}, "contentBlockIndex": 0}} for h in halves),
                {"contentBlockStop": {"contentBlockIndex": 0}},
                {"messageStop": {"stopReason": "tool_use"}},
                {"metadata": {"usage": _usage(dialect, 9), "metrics": {"latencyMs": 5}}}]
    head = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()), "model": model}
    first = {"index": 0, "id": "call_fake1", "type": "function", "function": {"name": name, "arguments": ""}}
    return [{**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": None,
                                                        "tool_calls": [first]}, "finish_reason": None}]},
            *({**head, "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": h}}]},
                                    "finish_reason": None}]} for h in halves),
            {**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}]
