"""The vendors' wire formats as a fake server speaks them: where the model is, replies, error bodies."""
from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import unquote


@dataclass(frozen=True)
class Exchange:
    """What the fake needs from one request, whichever dialect it arrived in."""

    dialect: str
    model: str
    prompt: str
    max_tokens: int
    stream: bool = False          # the streaming call (a flag in the body, or the streaming path)
    include_usage: bool = False   # OpenAI's stream_options.include_usage
    choices: int = 1              # OpenAI's n: a stream interleaves this many choices


def padding_words(model: str, prompt: str) -> int:
    """Words a varied fake adds to its echo: 0-79, a function of the model and the prompt only."""
    digest = hashlib.sha256(f"{model}\n{prompt}".encode()).digest()
    return (digest[0] % 40) + (sum(model.encode()) % 40)


def words(text: str) -> int:
    """Count tokens the crude way: one per word, at least one."""
    return max(1, len(text.split()))


def _openai_exchange(match: re.Match, body: dict) -> Exchange:
    model = match.groupdict().get("deployment") or body.get("model", "")
    prompt = " ".join(str(m.get("content", "")) for m in body.get("messages", []))
    limit = body.get("max_completion_tokens") or body.get("max_tokens") or 4096
    usage = bool((body.get("stream_options") or {}).get("include_usage"))
    return Exchange("openai", unquote(model), prompt, limit, body.get("stream") is True, usage, body.get("n") or 1)


def _anthropic_exchange(match: re.Match, body: dict) -> Exchange:
    prompt = " ".join([str(body.get("system", ""))] + [str(m.get("content", "")) for m in body.get("messages", [])])
    return Exchange("anthropic", body.get("model", ""), prompt, body.get("max_tokens", 4096), body.get("stream") is True)


def _gemini_exchange(match: re.Match, body: dict) -> Exchange:
    parts = [p for c in body.get("contents", []) for p in c.get("parts", [])]
    parts += body.get("systemInstruction", {}).get("parts", [])
    limit = body.get("generationConfig", {}).get("maxOutputTokens", 4096)
    return Exchange("gemini", unquote(match["model"]), " ".join(p.get("text", "") for p in parts), limit,
                    match["method"] == "streamGenerateContent")


def _bedrock_exchange(match: re.Match, body: dict) -> Exchange:
    blocks = [b for m in body.get("messages", []) for b in m.get("content", [])] + body.get("system", [])
    limit = body.get("inferenceConfig", {}).get("maxTokens", 4096)
    return Exchange("bedrock", unquote(match["model"]), " ".join(b.get("text", "") for b in blocks), limit,
                    match["operation"] == "converse-stream")


ROUTES: list[tuple[re.Pattern, Callable[[re.Match, dict], Exchange]]] = [
    (re.compile(r"^/openai/deployments/(?P<deployment>[^/]+)/chat/completions$"), _openai_exchange),
    (re.compile(r"^(/v1)?/chat/completions$"), _openai_exchange),
    (re.compile(r"^/v1/messages$"), _anthropic_exchange),
    (re.compile(r"^/v1beta/models/(?P<model>[^/:]+):(?P<method>generateContent|streamGenerateContent)$"),
     _gemini_exchange),
    (re.compile(r"^/model/(?P<model>[^/]+)/(?P<operation>converse|converse-stream)$"), _bedrock_exchange),
]


def route(path: str, body: dict) -> Exchange | None:
    """Return the exchange for a request path (query string already removed), or None."""
    for pattern, reader in ROUTES:
        match = pattern.match(path)
        if match:
            return reader(match, body)
    return None


def reply(ex: Exchange, text: str, output_tokens: int, truncated: bool) -> dict[str, Any]:
    """Return a success body in the dialect's shape, with realistic usage fields."""
    inp = words(ex.prompt)
    if ex.dialect == "anthropic":
        return {"id": "msg_fake", "type": "message", "role": "assistant", "model": ex.model,
                "content": [{"type": "text", "text": text}],
                "stop_reason": "max_tokens" if truncated else "end_turn", "stop_sequence": None,
                "usage": {"input_tokens": inp, "output_tokens": output_tokens,
                          "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}}
    if ex.dialect == "gemini":
        return {"candidates": [{"content": {"parts": [{"text": text}], "role": "model"},
                                "finishReason": "MAX_TOKENS" if truncated else "STOP", "index": 0}],
                "usageMetadata": {"promptTokenCount": inp, "candidatesTokenCount": output_tokens,
                                  "totalTokenCount": inp + output_tokens},
                "modelVersion": ex.model, "responseId": "fake"}
    if ex.dialect == "bedrock":
        return {"output": {"message": {"role": "assistant", "content": [{"text": text}]}},
                "stopReason": "max_tokens" if truncated else "end_turn",
                "usage": {"inputTokens": inp, "outputTokens": output_tokens, "totalTokens": inp + output_tokens},
                "metrics": {"latencyMs": 5}}
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": ex.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": None},
                         "logprobs": None, "finish_reason": "length" if truncated else "stop"}],
            "usage": {"prompt_tokens": inp, "completion_tokens": output_tokens,
                      "total_tokens": inp + output_tokens,
                      "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                      "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0}}}


def several(dialect: str, sent: dict, body: dict) -> dict:
    """Return a success body with as many choices as the request asked for (OpenAI's ``n``, Gemini's
    ``candidateCount``), each its own text, the usage counting them all, as those vendors answer."""
    if dialect == "openai":
        count, key, usage, tokens = sent.get("n") or 1, "choices", "usage", "completion_tokens"
    elif dialect == "gemini":
        count, key, usage = (sent.get("generationConfig") or {}).get("candidateCount") or 1, "candidates", "usageMetadata"
        tokens = "candidatesTokenCount"
    else:
        return body
    if count == 1 or not body.get(key):
        return body
    first = body[key][0]
    body = {**body, key: [_numbered(dialect, first, index) for index in range(count)]}
    body[usage] = {**body[usage], tokens: body[usage][tokens] * count}
    return body


def _numbered(dialect: str, choice: dict, index: int) -> dict:
    if index == 0:
        return choice
    if dialect == "openai":
        message = choice["message"]
        return {**choice, "index": index, "message": {**message, "content": f"{message['content']} ({index + 1})"}}
    parts = [{**p, "text": f"{p['text']} ({index + 1})"} if "text" in p else p for p in choice["content"]["parts"]]
    return {**choice, "index": index, "content": {**choice["content"], "parts": parts}}


_BEDROCK_ERRORS = {400: "ValidationException", 403: "AccessDeniedException", 404: "ResourceNotFoundException",
                   429: "ThrottlingException", 503: "ServiceUnavailableException"}
_ANTHROPIC_ERRORS = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                     404: "not_found_error", 429: "rate_limit_error", 529: "overloaded_error"}
_GOOGLE_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                  429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE"}


def error(dialect: str, status: int, message: str) -> tuple[dict[str, str], dict[str, Any]]:
    """Return (extra headers, body) of an error in the dialect's shape."""
    if dialect == "anthropic":
        kind = _ANTHROPIC_ERRORS.get(status, "api_error")
        return {}, {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_fake"}
    if dialect == "gemini":
        return {}, {"error": {"code": status, "message": message, "status": _GOOGLE_STATUS.get(status, "INTERNAL")}}
    if dialect == "bedrock":
        kind = _BEDROCK_ERRORS.get(status, "InternalServerException")
        return {"x-amzn-ErrorType": f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"}, {"message": message}
    return {}, {"error": {"message": message, "type": "invalid_request_error" if status < 500 else "server_error",
                          "param": None, "code": None}}


# Streams: the same answers, as each vendor streams them (one chunk per word).
STREAM_TYPES = {"bedrock": "application/vnd.amazon.eventstream"}


def stream_type(dialect: str) -> str:
    """Return the media type of the dialect's stream."""
    return STREAM_TYPES.get(dialect, "text/event-stream")


def _sse(data: Any, event: str | None = None, newline: str = "\n") -> bytes:
    head = f"event: {event}{newline}" if event else ""
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return f"{head}data: {text}{newline}{newline}".encode()


def pieces(text: str) -> list[str]:
    """Split an answer into the deltas the fake streams: one word each, spaces kept."""
    found = re.findall(r"\S+\s*|\s+", text)
    return found or []


def stream_chunks(ex: Exchange, text: str, output_tokens: int, truncated: bool) -> list[bytes]:
    """Return the body of a streamed answer, chunk by chunk, in the dialect's format with its usage."""
    inp = words(ex.prompt)
    return {"anthropic": _anthropic_stream, "gemini": _gemini_stream, "bedrock": _bedrock_stream,
            }.get(ex.dialect, _openai_stream)(ex, pieces(text), inp, output_tokens, truncated)


def _openai_stream(ex: Exchange, parts: list[str], inp: int, out: int, truncated: bool) -> list[bytes]:
    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": ex.model, "system_fingerprint": "fp_fake"}
    usage = {"prompt_tokens": inp, "completion_tokens": out, "total_tokens": inp + out,
             "prompt_tokens_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 0}}

    def chunk(delta: dict, reason: str | None = None, index: int = 0, **extra: Any) -> bytes:
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": reason}
        return _sse({**base, "choices": [choice], **extra})

    chunks = [chunk({"role": "assistant", "content": "", "refusal": None})]
    chunks += [chunk({"content": part}) for part in parts]
    reason = "length" if truncated else "stop"
    for index in range(1, ex.choices):   # n > 1: each other choice streams its own text (numbered), then ends
        chunks += [chunk({"role": "assistant", "content": ""}, index=index)]
        chunks += [chunk({"content": part}, index=index) for part in [*parts, f" ({index + 1})"]]
        chunks += [chunk({}, reason, index=index)]
    usage = {**usage, "completion_tokens": out * ex.choices, "total_tokens": inp + out * ex.choices}
    if ex.include_usage:
        chunks += [chunk({}, reason, usage=None), _sse({**base, "choices": [], "usage": usage})]
    else:   # Mistral and Together report usage on the last chunk unasked
        chunks.append(chunk({}, reason, usage=usage))
    return chunks + [_sse("[DONE]")]


def _anthropic_stream(ex: Exchange, parts: list[str], inp: int, out: int, truncated: bool) -> list[bytes]:
    start = {"type": "message_start", "message": {
        "id": "msg_fake", "type": "message", "role": "assistant", "model": ex.model, "content": [],
        "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": inp, "output_tokens": 1, "cache_creation_input_tokens": 0,
                  "cache_read_input_tokens": 0}}}
    chunks = [_sse(start, "message_start"),
              _sse({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
                   "content_block_start"),
              _sse({"type": "ping"}, "ping")]
    chunks += [_sse({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": part}},
                    "content_block_delta") for part in parts]
    chunks += [_sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
               _sse({"type": "message_delta", "delta": {"stop_reason": "max_tokens" if truncated else "end_turn",
                                                        "stop_sequence": None}, "usage": {"output_tokens": out}},
                    "message_delta"),
               _sse({"type": "message_stop"}, "message_stop")]
    return chunks


def _gemini_stream(ex: Exchange, parts: list[str], inp: int, out: int, truncated: bool) -> list[bytes]:
    # Google ends its SSE lines with CRLF.
    def chunk(text: str, usage: dict, reason: str | None = None) -> bytes:
        candidate: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}
        if reason:
            candidate["finishReason"] = reason
        return _sse({"candidates": [candidate], "usageMetadata": usage, "modelVersion": ex.model,
                     "responseId": "fake"}, newline="\r\n")

    running = {"promptTokenCount": inp, "totalTokenCount": inp}
    final = {"promptTokenCount": inp, "candidatesTokenCount": out, "totalTokenCount": inp + out}
    chunks = [chunk(part, running) for part in parts[:-1]]
    return chunks + [chunk(parts[-1] if parts else "", final, "MAX_TOKENS" if truncated else "STOP")]


def _bedrock_stream(ex: Exchange, parts: list[str], inp: int, out: int, truncated: bool) -> list[bytes]:
    from tests.fakes.eventstream import event

    chunks = [event("messageStart", {"role": "assistant"})]
    chunks += [event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": part}}) for part in parts]
    chunks += [event("contentBlockStop", {"contentBlockIndex": 0}),
               event("messageStop", {"stopReason": "max_tokens" if truncated else "end_turn"}),
               event("metadata", {"usage": {"inputTokens": inp, "outputTokens": out, "totalTokens": inp + out},
                                  "metrics": {"latencyMs": 5}})]
    return chunks


def encode_stream(dialect: str, events: list[dict]) -> list[bytes]:
    """Return a dialect's stream events (dicts, as tests.fakes.tools.tool_stream gives them) as body chunks."""
    if dialect == "anthropic":
        return [_sse(e, e["type"]) for e in events]
    if dialect == "gemini":
        return [_sse(e, newline="\r\n") for e in events]
    if dialect == "bedrock":
        from tests.fakes.eventstream import event
        return [event(kind, data) for e in events for kind, data in e.items()]
    # OpenAI sends usage on a last chunk without choices (stream_options.include_usage), then [DONE]
    usage = {"id": events[-1].get("id"), "object": "chat.completion.chunk", "created": events[-1].get("created"),
             "model": events[-1].get("model"), "choices": [],
             "usage": {"prompt_tokens": 20, "completion_tokens": 9, "total_tokens": 29}}
    return [_sse(e) for e in events] + [_sse(usage), _sse("[DONE]")]


def stream_error(dialect: str, message: str) -> bytes:
    """Return an error reported inside a stream, as the dialect sends it (a retryable overload)."""
    if dialect == "anthropic":
        return _sse({"type": "error", "error": {"type": "overloaded_error", "message": message}}, "error")
    if dialect == "gemini":
        return _sse({"error": {"code": 503, "message": message, "status": "UNAVAILABLE"}}, newline="\r\n")
    if dialect == "bedrock":
        from tests.fakes.eventstream import exception
        return exception("serviceUnavailableException", message)
    return _sse({"error": {"message": message, "type": "server_error", "param": None, "code": None}})
