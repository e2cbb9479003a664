"""LOG_PROMPTS=true: the prompt and answer text for the request's log line (off by default)."""
from __future__ import annotations

from typing import Any

MAX_CHARS = 4000   # per text: a 20 MB prompt must not become a 20 MB log line


def prompt_fields(body: Any, answer: Any) -> dict[str, Any]:
    """Pick prompt, system and each model's response text out of the request and response bodies."""
    fields: dict[str, Any] = {}
    if isinstance(body, dict):
        for name in ("prompt", "system"):
            if isinstance(body.get(name), str):
                fields[name] = _clip(body[name])
    items = answer.get("data") if isinstance(answer, dict) else None
    if isinstance(items, list):
        responses = {item["id"]: _clip(item["response"]) for item in items
                     if isinstance(item, dict) and isinstance(item.get("response"), str) and "id" in item}
        if responses:
            fields["responses"] = responses
    return fields


def _clip(text: str) -> str:
    return text if len(text) <= MAX_CHARS else f"{text[:MAX_CHARS]}... [{len(text) - MAX_CHARS} more chars]"
