"""Gemini's JSON Schema subset: what ``responseJsonSchema`` and ``parametersJsonSchema`` may hold.

The list is the one the Gemini API's own proto documents for ``GenerationConfig.response_json_schema``
(../shared/specs/gemini/.../generative_service.proto, and https://ai.google.dev/gemini-api/docs/structured-output).
Annotations that constrain nothing are dropped; ``const`` becomes a one-value ``enum`` (the same
constraint); any other keyword is refused with a 400 naming where it is, rather than silently dropped.
"""
from __future__ import annotations

from typing import Any

from .errors import AgentParamError

SUPPORTED = frozenset({"$id", "$defs", "$ref", "$anchor", "type", "format", "title", "description", "enum",
                       "items", "prefixItems", "minItems", "maxItems", "minimum", "maximum", "anyOf", "oneOf",
                       "properties", "additionalProperties", "required", "propertyOrdering"})
DROPPED = frozenset({"$schema", "$comment", "examples", "default", "deprecated", "readOnly", "writeOnly", "strict"})
SCHEMA_MAPS = ("properties", "$defs")
SCHEMA_LISTS = ("anyOf", "oneOf", "prefixItems")
SCHEMA_VALUES = ("items", "additionalProperties")


def gemini_schema(schema: Any, param: str) -> Any:
    """Return a copy of the schema Gemini accepts, or raise AgentParamError naming the first bad keyword."""
    if isinstance(schema, bool):
        return schema
    if not isinstance(schema, dict):
        raise AgentParamError(param, f"{param} must be a JSON Schema object")
    out: dict[str, Any] = {}
    for key, value in schema.items():
        where = f"{param}.{key}"
        if key in DROPPED:
            continue
        if key == "const":
            out["enum"] = [value]
        elif key not in SUPPORTED:
            raise AgentParamError(param, f"Gemini does not support the JSON Schema keyword {key!r} ({where})")
        elif key in SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: gemini_schema(sub, f"{where}.{name}") for name, sub in value.items()}
        elif key in SCHEMA_LISTS and isinstance(value, list):
            out[key] = [gemini_schema(sub, f"{where}[{i}]") for i, sub in enumerate(value)]
        elif key in SCHEMA_VALUES and isinstance(value, (dict, bool)):
            out[key] = gemini_schema(value, where)
        else:
            out[key] = value
    return out
