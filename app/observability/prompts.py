"""LOG_PROMPTS=true: the prompt and answer text for the request's log line (off by default)."""
from __future__ import annotations

from typing import Any

MAX_CHARS = 4000   # per text: a 20 MB prompt must not become a 20 MB log line
MAX_MESSAGES = 20  # of a /v1 conversation, the last ones (the newest turns)


def prompt_fields(body: Any, answer: Any) -> dict[str, Any]:
    """Pick prompt, system (or a /v1 conversation) and each model's response text out of the bodies."""
    fields: dict[str, Any] = {}
    if isinstance(body, dict):
        for name in ("prompt", "system"):
            if isinstance(body.get(name), str):
                fields[name] = _clip(body[name])
        if isinstance(body.get("messages"), list):
            fields["messages"] = [{"role": m.get("role"), "content": _clip(_text(m.get("content")))}
                                  for m in body["messages"][-MAX_MESSAGES:] if isinstance(m, dict)]
    served = _served(answer)
    if served:
        fields["responses"] = served
    items = answer.get("data") if isinstance(answer, dict) else None
    if isinstance(items, list):
        responses = {item["id"]: _clip(item["response"]) for item in items
                     if isinstance(item, dict) and isinstance(item.get("response"), str) and "id" in item}
        if responses:
            fields["responses"] = responses
    return fields


def _clip(text: str) -> str:
    return text if len(text) <= MAX_CHARS else f"{text[:MAX_CHARS]}... [{len(text) - MAX_CHARS} more chars]"


def _text(content: Any) -> str:
    """A message's text: the string, or its text parts joined."""
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict)
                       and isinstance(part.get("text"), str))
    return content if isinstance(content, str) else ""


def _served(answer: Any) -> dict[str, str]:
    """A /v1 chat.completion's answer text, by the model that served it."""
    if not isinstance(answer, dict) or answer.get("object") != "chat.completion":
        return {}
    try:
        text = answer["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return {}
    return {str(answer.get("model")): _clip(text)} if isinstance(text, str) else {}
