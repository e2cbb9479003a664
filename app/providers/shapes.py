"""Read vendor JSON defensively: a wrong shape becomes ProviderResponseError, not KeyError;
usage that cannot be trusted becomes None, not a made-up 0."""
from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

from .errors import ProviderResponseError

MAX_MESSAGE = 300
MAX_ERROR_BODY = 64 * 1024   # characters of a non-JSON error body read for its message
_TAG_NAME = re.compile(r"[a-z0-9]+")
T = TypeVar("T")


def dig(payload: Any, *path: str | int, vendor: str) -> Any:
    """Return payload[path[0]][path[1]]...; raise ProviderResponseError naming the missing step."""
    node = payload
    for depth, step in enumerate(path):
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            where = ".".join(str(s) for s in path[: depth + 1])
            raise ProviderResponseError(f"unexpected response shape: no {where}", vendor=vendor) from None
    return node


def mapping(value: Any) -> dict:
    """Return value when it is a JSON object, else an empty one (optional blocks may be null)."""
    return value if isinstance(value, dict) else {}


class UnusableUsage(Exception):
    """A usage block that is missing, or a count in it that is not a non-negative integer."""


def tokens(usage: Any, key: str, *, required: bool = True) -> int:
    """Return a token count from a usage mapping; an optional count may be absent (0)."""
    value = usage.get(key) if isinstance(usage, dict) else None
    if value is None and not required:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UnusableUsage(key)
    return value


def usage_or_none(read: Callable[[Any], T], payload: Any) -> T | None:
    """Return read(payload), or None when the vendor's usage cannot be trusted (the text still can)."""
    try:
        return read(payload)
    except UnusableUsage:
        return None


def text_or_none(value: Any) -> str | None:
    """Return value when it is a string (a finish reason, say), else None."""
    return value if isinstance(value, str) else None


TOOL_CALLS = "tool_calls"


def tool_call(call: dict, *, vendor: str, whole: bool) -> dict:
    """Return a vendor's tool call (or, not whole, a streamed piece of one) with string arguments.

    Arguments sent as a JSON object or list become their JSON text; a name that is not a string
    (or, for a whole call, is missing) is a ProviderResponseError: the call cannot be made.
    """
    function = call.get("function") if isinstance(call.get("function"), dict) else {}
    name = function.get("name")
    if not isinstance(name, str) and (whole or name is not None):
        raise ProviderResponseError("a tool call's function name is not a string", vendor=vendor)
    arguments = function.get("arguments")
    if arguments is None or isinstance(arguments, str):
        return call
    text = json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))
    return {**call, "function": {**function, "arguments": text}}


def tool_finish(calls: Any, reason: Any) -> str | None:
    """Return the finish reason of an answer: OpenAI's ``tool_calls`` when the model called tools
    (Gemini says STOP then), else the vendor's own value (the gateway maps it; send_prompt shows it)."""
    return TOOL_CALLS if calls else text_or_none(reason)


def as_json(text: str) -> Any:
    """Decode JSON text, or return None when it is not JSON (or nested beyond reason)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def first_text(data: Any, *paths: tuple[str, ...]) -> str | None:
    """Return the first non-empty string found at one of the key paths in a JSON object."""
    for path in paths:
        node = data
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, str) and node.strip():
            return node.strip()
        if isinstance(node, (list, dict)) and node:  # e.g. FastAPI-style validation details
            try:
                return json.dumps(node)[:MAX_MESSAGE]
            except RecursionError:
                continue
    return None


def plain_text(body_text: str, status: int) -> str:
    """Turn a non-JSON error body (often an HTML page from a proxy) into a short message.

    Linear in the body, and only its first MAX_ERROR_BODY characters are read.
    """
    body = body_text[:MAX_ERROR_BODY]
    title = _title(body)
    text = " ".join(html.unescape(title if title is not None else _without_tags(body)).split())
    if not text:
        return f"HTTP {status}"
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _title(body: str) -> str | None:
    lower = body.lower()
    start = lower.find("<title")
    opened = lower.find(">", start) if start >= 0 else -1
    closed = lower.find("</title>", opened) if opened >= 0 else -1
    return body[opened + 1:closed] if closed >= 0 else None


def _without_tags(body: str) -> str:
    """The body with its tags, scripts and styles replaced by spaces; an unclosed one ends it.

    Each search starts where the previous one ended, so every character is looked at a bounded
    number of times (a regex like <script.*?</script> rescans the rest from each <script).
    """
    lower, parts, at = body.lower(), [], 0
    while (start := lower.find("<", at)) >= 0:
        parts.append(body[at:start])
        end = lower.find(">", start)
        if end < 0:
            return "".join(parts)
        name = _TAG_NAME.match(lower, start + 1)
        if name and name[0] in ("script", "style"):
            closing = lower.find(f"</{name[0]}", end)
            end = lower.find(">", closing) if closing >= 0 else -1
            if end < 0:
                return "".join(parts)
        parts.append(" ")
        at = end + 1
    parts.append(body[at:])
    return "".join(parts)
