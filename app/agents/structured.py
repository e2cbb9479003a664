"""``response_format``: text, json_object, or json_schema ({name, description?, schema, strict?}).

Mapped where the vendor has native structured output (OpenAI-compatible: passed on; Gemini:
``responseMimeType`` + ``responseJsonSchema``; Bedrock: ``outputConfig.textFormat``), refused with a
400 naming ``response_format`` where it has none: never a silent downgrade to free text.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import AgentParamError


@dataclass(frozen=True)
class ResponseFormat:
    kind: str                     # text | json_object | json_schema
    name: str | None = None
    description: str | None = None
    schema: dict | None = None
    strict: bool = False


def read_response_format(body: Mapping[str, Any]) -> ResponseFormat:
    """Return the request's response_format (text when absent)."""
    raw = body.get("response_format")
    if raw is None:
        return ResponseFormat("text")
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind in ("text", "json_object"):
        return ResponseFormat(kind)
    if kind != "json_schema" or not isinstance(raw.get("json_schema"), dict):
        raise AgentParamError("response_format", "response_format must be text, json_object or json_schema "
                              "with a json_schema object")
    spec = raw["json_schema"]
    if not isinstance(spec.get("name"), str) or not spec["name"]:
        raise AgentParamError("response_format.json_schema.name", "response_format.json_schema.name is required")
    schema = spec.get("schema", {})
    if not isinstance(schema, dict):
        raise AgentParamError("response_format.json_schema.schema", "the schema must be a JSON object")
    description = spec.get("description")
    return ResponseFormat("json_schema", spec["name"], description if isinstance(description, str) else None,
                          schema, bool(spec.get("strict")))


def refuse_structured(body: Mapping[str, Any], vendor: str) -> None:
    """Refuse any response_format but text for a vendor without structured output."""
    if read_response_format(body).kind != "text":
        raise AgentParamError("response_format", f"{vendor} has no structured output in the API version "
                              "Price Runner speaks: response_format is not supported for this model")
