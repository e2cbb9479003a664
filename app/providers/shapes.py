"""Read vendor JSON defensively: a wrong shape becomes ProviderResponseError, not KeyError."""
from __future__ import annotations

import html
import json
import re
from typing import Any

from .errors import ProviderResponseError

MAX_MESSAGE = 300


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


def count(usage: Any, key: str, vendor: str) -> int:
    """Return a token count from a usage mapping; absent or null counts as 0."""
    value = usage.get(key) if isinstance(usage, dict) else None
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProviderResponseError(f"unexpected response shape: {key} is not an integer", vendor=vendor)
    return value


def as_json(text: str) -> Any:
    """Decode JSON text, or return None when it is not JSON."""
    try:
        return json.loads(text)
    except ValueError:
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
            return json.dumps(node)[:MAX_MESSAGE]
    return None


def plain_text(body_text: str, status: int) -> str:
    """Turn a non-JSON error body (often an HTML page from a proxy) into a short message."""
    title = re.search(r"<title[^>]*>(.*?)</title>", body_text, re.I | re.S)
    text = title.group(1) if title else re.sub(r"<(script|style)\b.*?</\1>|<[^>]+>", " ", body_text, flags=re.I | re.S)
    text = " ".join(html.unescape(text).split())
    if not text:
        return f"HTTP {status}"
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"
