"""One agent conversation in OpenAI's wire format, used across the dialect tests."""
from __future__ import annotations

import base64
import io

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather now in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"},
                                                    "unit": {"type": "string", "enum": ["c", "f"]}},
                   "required": ["city"], "additionalProperties": False}}}
TIME = {"type": "function", "function": {
    "name": "get_time", "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}}}}
TOOLS = [WEATHER, TIME]


def png(width: int, height: int, kind: str = "PNG") -> bytes:
    """Return a real image file of the given size."""
    from PIL import Image
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, kind)
    return buffer.getvalue()


def data_url(raw: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64,{base64.b64encode(raw).decode()}"


def agent_messages(image_url: str | None = None) -> list[dict]:
    """System, a user turn (with an image), two parallel tool calls, their results, a follow-up."""
    user_content: list[dict] = [{"type": "text", "text": "Weather and time in Paris?"}]
    if image_url:
        user_content.append({"type": "image_url", "image_url": {"url": image_url, "detail": "high"}})
    return [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": user_content},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_w1", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
            {"id": "call_t1", "type": "function", "function": {"name": "get_time", "arguments": '{"tz": "CET"}'}}]},
        {"role": "tool", "tool_call_id": "call_w1", "content": '{"temp": 12, "unit": "c"}'},
        {"role": "tool", "tool_call_id": "call_t1", "content": "14:05"},
        {"role": "user", "content": "And tomorrow?"},
    ]


def request(**extra) -> dict:
    """An OpenAI chat-completions body with tools, the agent conversation and extras."""
    return {"model": "m", "messages": agent_messages(), "tools": TOOLS, **extra}
