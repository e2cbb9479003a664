"""Validate Anthropic bodies against ../shared/specs plus the fields the 2024 copy predates.

The spec copy is from 2024-11 (see ../shared/specs/SOURCES.txt). Three request shapes we send came
later; they are added here, transcribed from Anthropic's API reference
(https://docs.claude.com/en/api/messages), and nothing else is loosened:
- ``thinking``: {"type": "enabled", "budget_tokens": integer >= 1024} (extended thinking),
- ``output_config``: {"effort": low|medium|high|xhigh|max}
  (https://platform.claude.com/docs/en/build-with-claude/effort),
- ``tool_choice`` {"type": "none"},
- an image ``source`` {"type": "url", "url": string}.
"""
from __future__ import annotations

import copy
from functools import lru_cache

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.spec_validation import OPENAPI_REQUESTS, assert_declared, assert_no_nulls, load_document

THINKING = {"type": "object", "additionalProperties": False, "required": ["type", "budget_tokens"],
            "properties": {"type": {"const": "enabled"}, "budget_tokens": {"type": "integer", "minimum": 1024}}}
OUTPUT_CONFIG = {"type": "object", "additionalProperties": False, "required": ["effort"],
                 "properties": {"effort": {"enum": ["low", "medium", "high", "xhigh", "max"]}}}
TOOL_CHOICE_NONE = {"type": "object", "additionalProperties": False, "required": ["type"],
                    "properties": {"type": {"const": "none"}}}
URL_IMAGE_SOURCE = {"type": "object", "additionalProperties": False, "required": ["type", "url"],
                    "properties": {"type": {"const": "url"}, "url": {"type": "string"}}}


@lru_cache(maxsize=None)
def overlaid() -> dict:
    """Return the Anthropic spec with the three later shapes added."""
    doc = copy.deepcopy(load_document(OPENAPI_REQUESTS["anthropic"][0]))
    schemas = doc["components"]["schemas"]
    schemas["ThinkingConfigEnabled"] = THINKING
    schemas["ToolChoiceNone"] = TOOL_CHOICE_NONE
    schemas["OutputConfig"] = OUTPUT_CONFIG
    schemas["CreateMessageParams"]["properties"]["output_config"] = {"$ref": "#/components/schemas/OutputConfig"}
    schemas["URLImageSource"] = URL_IMAGE_SOURCE
    schemas["CreateMessageParams"]["properties"]["thinking"] = {"$ref": "#/components/schemas/ThinkingConfigEnabled"}
    schemas["ToolChoice"].pop("discriminator", None)
    schemas["ToolChoice"]["oneOf"].append({"$ref": "#/components/schemas/ToolChoiceNone"})
    source = schemas["RequestImageBlock"]["properties"]["source"]
    source.pop("discriminator", None)
    source["oneOf"].append({"$ref": "#/components/schemas/URLImageSource"})
    return doc


@lru_cache(maxsize=None)
def _validator() -> Draft202012Validator:
    uri = "urn:spec:anthropic-overlay"
    registry = Registry().with_resource(uri, Resource.from_contents(overlaid(), default_specification=DRAFT202012))
    return Draft202012Validator({"$ref": f"{uri}#/components/schemas/CreateMessageParams"}, registry=registry)


def validate_anthropic(body: dict) -> None:
    """Assert the Messages body is valid (spec + overlay), has no nulls, and sends only declared keys."""
    assert_no_nulls(body)
    errors = sorted(_validator().iter_errors(body), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    assert_declared(overlaid(), {"$ref": "#/components/schemas/CreateMessageParams"}, body)
