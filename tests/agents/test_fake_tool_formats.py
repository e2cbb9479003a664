"""The fake's tool answers are the vendors' real shapes: each validated against the vendor's spec."""
from __future__ import annotations

import json
from functools import lru_cache

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from app.agents import anthropic, bedrock, gemini
from app.agents import openai_chat as openai
from tests.agents.conversation import TOOLS
from tests.fakes.tools import tool_error, tool_reply
from tests.spec_validation import _bedrock_operation, _gemini_service, load_document, require_specs

START = {"messages": [{"role": "user", "content": "Weather?"}], "tools": TOOLS}


@lru_cache(maxsize=None)
def response_validator(relative: str, schema: str) -> Draft202012Validator:
    doc = load_document(relative)
    registry = Registry().with_resource("urn:r", Resource.from_contents(doc, default_specification=DRAFT202012))
    return Draft202012Validator({"$ref": f"urn:r#/components/schemas/{schema}"}, registry=registry)


def assert_valid(relative: str, schema: str, body: dict) -> None:
    errors = list(response_validator(relative, schema).iter_errors(body))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors][:3]


def vendor_bodies():
    return {"anthropic": anthropic.request_fields(START, max_tokens=100, model="claude-haiku-4-5"),
            "gemini": gemini.request_fields(START),
            "bedrock": bedrock.request_fields(START, max_tokens=100, model_id="global.anthropic.claude-x"),
            "openai": openai.request_fields(START)}


@pytest.mark.parametrize("final", [False, True], ids=["call", "final"])
def test_answers_match_the_specs(final):
    bodies = vendor_bodies()
    if final:   # a last turn carrying a tool result gets the final text
        bodies["anthropic"]["messages"].append({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_fake1", "content": "sunny"}]})
        bodies["gemini"]["contents"].append({"role": "user", "parts": [
            {"functionResponse": {"name": "get_weather", "response": {"result": "sunny"}}}]})
        bodies["bedrock"]["messages"].append({"role": "user", "content": [
            {"toolResult": {"toolUseId": "tooluse_fake1", "content": [{"text": "sunny"}]}}]})
        bodies["openai"]["messages"].append({"role": "tool", "tool_call_id": "call_fake1", "content": "sunny"})
    replies = {d: tool_reply(d, "m", b) for d, b in bodies.items()}
    assert_valid("anthropic-unofficial/hosted_spec.json", "Message", replies["anthropic"])
    assert_valid("openai/openapi.json", "CreateChatCompletionResponse", replies["openai"])
    from google.protobuf import json_format
    json_format.ParseDict(replies["gemini"], _gemini_service().GenerateContentResponse())
    from botocore.model import ServiceModel
    from botocore.validate import ParamValidator
    model = ServiceModel(json.loads((require_specs() / "bedrock" / "service-2.json").read_text()))
    shape = model.operation_model("Converse").output_shape
    report = ParamValidator().validate(replies["bedrock"], shape)
    assert not report.has_errors(), report.generate_report()
    assert _bedrock_operation("Converse").input_shape is not None


def test_no_tools_means_no_tool_answer():
    assert tool_reply("anthropic", "m", {"messages": [{"role": "user", "content": "hi"}]}) is None


def test_results_without_calls_are_refused_like_upstream():
    body = {"messages": [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "nope"}]}]}
    assert "no matching tool_use" in tool_error("anthropic", body)
    converse = {"messages": [{"role": "assistant", "content": [{"toolUse": {"toolUseId": "a", "name": "f",
                                                                           "input": {}}}]}]}
    assert "toolConfig" in tool_error("bedrock", converse)
