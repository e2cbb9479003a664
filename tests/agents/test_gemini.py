"""Gemini generateContent: OpenAI tools, tool calls/results, images, structured output, thinking; answers back."""
from __future__ import annotations

import pytest

from app.agents import AgentParamError, gemini
from tests.agents.conversation import TOOLS, agent_messages, data_url, png, request
from tests.agents.gemini_overlay import validate_gemini


def body_for(openai_body: dict) -> dict:
    fields = gemini.request_fields(openai_body)
    fields["generationConfig"] = {"maxOutputTokens": 512, **fields.get("generationConfig", {})}
    return fields


def test_agent_conversation_translates_and_parses_as_the_proto():
    body = body_for({"messages": agent_messages(data_url(png(40, 30))), "tools": TOOLS})
    validate_gemini(body)
    assert body["systemInstruction"] == {"parts": [{"text": "You are terse."}]}
    declarations = body["tools"][0]["functionDeclarations"]
    assert [d["name"] for d in declarations] == ["get_weather", "get_time"]
    assert declarations[0]["parametersJsonSchema"]["properties"]["unit"] == {"type": "string", "enum": ["c", "f"]}
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "AUTO"}}
    user, model, results = body["contents"]
    assert (user["role"], model["role"], results["role"]) == ("user", "model", "user")
    assert user["parts"][1]["inlineData"]["mimeType"] == "image/png"
    assert model["parts"] == [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}},
                              {"functionCall": {"name": "get_time", "args": {"tz": "CET"}}}]
    # names found from the ids; a JSON object result is the response, text is wrapped
    assert results["parts"] == [
        {"functionResponse": {"name": "get_weather", "response": {"temp": 12, "unit": "c"}}},
        {"functionResponse": {"name": "get_time", "response": {"result": "14:05"}}},
        {"text": "And tomorrow?"}]


@pytest.mark.parametrize("choice, expected", [
    ("auto", {"mode": "AUTO"}), ("none", {"mode": "NONE"}), ("required", {"mode": "ANY"}),
    ({"type": "function", "function": {"name": "get_time"}}, {"mode": "ANY", "allowedFunctionNames": ["get_time"]}),
])
def test_tool_choice_maps_to_function_calling_config(choice, expected):
    body = body_for(request(tool_choice=choice))
    validate_gemini(body)
    assert body["toolConfig"]["functionCallingConfig"] == expected


def test_strict_tools_under_auto_use_validated_mode():
    strict = {"type": "function", "function": {**TOOLS[0]["function"], "strict": True}}
    body = body_for({"messages": [{"role": "user", "content": "hi"}], "tools": [strict]})
    validate_gemini(body)
    assert body["toolConfig"]["functionCallingConfig"]["mode"] == "VALIDATED"


def test_tool_result_for_an_unknown_call_is_refused():
    messages = [{"role": "user", "content": "hi"}, {"role": "tool", "tool_call_id": "nope", "content": "x"}]
    with pytest.raises(AgentParamError) as caught:
        gemini.request_fields({"messages": messages, "tools": TOOLS})
    assert caught.value.param == "messages[1].tool_call_id"


def test_remote_image_urls_are_refused_naming_the_part():
    messages = [{"role": "user", "content": [{"type": "text", "text": "see"},
                                             {"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}]}]
    with pytest.raises(AgentParamError) as caught:
        gemini.request_fields({"messages": messages})
    assert caught.value.param == "messages[0].content[1].image_url"
    assert "data URL" in caught.value.message


def test_json_schema_response_format_is_native_structured_output():
    fmt = {"type": "json_schema", "json_schema": {"name": "city", "strict": True, "schema": {
        "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
        "properties": {"name": {"type": "string"}, "kind": {"const": "city"}},
        "required": ["name"], "additionalProperties": False}}}
    body = body_for({"messages": [{"role": "user", "content": "x"}], "response_format": fmt})
    validate_gemini(body)
    config = body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"] == {"type": "object", "required": ["name"], "additionalProperties": False,
                                            "properties": {"name": {"type": "string"}, "kind": {"enum": ["city"]}}}


def test_json_object_is_json_mode():
    body = body_for({"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_object"}})
    validate_gemini(body)
    assert body["generationConfig"]["responseMimeType"] == "application/json"
    assert "responseJsonSchema" not in body["generationConfig"]


def test_unsupported_schema_keywords_are_refused_not_dropped():
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": {
        "type": "object", "properties": {"n": {"type": "integer", "multipleOf": 5}}}}}
    with pytest.raises(AgentParamError) as caught:
        gemini.request_fields({"messages": [{"role": "user", "content": "x"}], "response_format": fmt})
    assert caught.value.param == "response_format.json_schema.schema.properties.n"
    assert "multipleOf" in caught.value.message


@pytest.mark.parametrize("model, effort, config", [
    ("gemini-3.5-flash", "minimal", {"thinkingLevel": "LOW"}), ("gemini-4-argon", "medium", {"thinkingLevel": "MEDIUM"}),
    ("gemini-3.8-flash", "high", {"thinkingLevel": "HIGH"}), ("gemini-2.5-flash", "low", {"thinkingBudget": 1024}),
])
def test_reasoning_effort_sets_a_thinking_level_or_budget(model, effort, config):
    fields = gemini.request_fields({"messages": [{"role": "user", "content": "x"}], "reasoning_effort": effort}, model)
    validate_gemini(fields)
    assert fields["generationConfig"]["thinkingConfig"] == config


def test_the_overlay_still_rejects_bad_levels():
    with pytest.raises(AssertionError):
        validate_gemini({"contents": [{"role": "user", "parts": [{"text": "x"}]}],
                         "generationConfig": {"thinkingConfig": {"thinkingLevel": "EXTREME"}}})


def test_parallel_tool_calls_off_is_refused():
    with pytest.raises(AgentParamError) as caught:
        gemini.request_fields(request(parallel_tool_calls=False))
    assert caught.value.param == "parallel_tool_calls"


def test_function_calls_come_back_with_ids_and_signatures_that_round_trip():
    payload = {"candidates": [{"content": {"role": "model", "parts": [
        {"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}}, "thoughtSignature": "c2lnbmF0dXJl"},
        {"functionCall": {"id": "fc-7", "name": "get_time", "args": {}}}]}, "finishReason": "STOP"}]}
    calls = gemini.tool_calls(payload, make_id=lambda: "call_made")
    assert calls == [
        {"id": "call_made__thought__c2lnbmF0dXJl", "type": "function",
         "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'}},
        {"id": "fc-7", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}]
    assert gemini.finish_reason("STOP", True) == "tool_calls"
    assert gemini.finish_reason("MAX_TOKENS") == "length"
    # the next turn sends the calls back with their signature, and results find their names
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "tool_calls": calls},
                {"role": "tool", "tool_call_id": calls[0]["id"], "content": "sunny"},
                {"role": "tool", "tool_call_id": "fc-7", "content": "noon"}]
    body = body_for({"messages": messages, "tools": TOOLS})
    validate_gemini(body)
    assert body["contents"][1]["parts"][0] == {"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}},
                                               "thoughtSignature": "c2lnbmF0dXJl"}
    assert [p["functionResponse"]["name"] for p in body["contents"][2]["parts"]] == ["get_weather", "get_time"]


def test_default_ids_are_distinct():
    payload = {"candidates": [{"content": {"parts": [{"functionCall": {"name": "a"}}, {"functionCall": {"name": "a"}}]}}]}
    first, second = gemini.tool_calls(payload)
    assert first["id"] != second["id"] and first["id"].startswith("call_")


def test_stream_chunks_become_whole_tool_call_deltas():
    stream = gemini.ToolCallStream(make_id=iter(["call_a", "call_b"]).__next__)
    chunks = [{"candidates": [{"content": {"parts": [{"text": "Let me"}]}}]},
              {"candidates": [{"content": {"parts": [{"functionCall": {"name": "get_time", "args": {"tz": "UTC"}}}]}}]},
              {"candidates": [{"content": {"parts": [{"functionCall": {"name": "get_weather", "args": {}}}]},
                               "finishReason": "STOP"}]}]
    deltas = [d for c in chunks for d in stream.feed(c)]
    assert deltas == [
        {"index": 0, "id": "call_a", "type": "function", "function": {"name": "get_time", "arguments": '{"tz":"UTC"}'}},
        {"index": 1, "id": "call_b", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]
    assert stream.called
