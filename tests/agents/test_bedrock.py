"""Bedrock Converse: OpenAI tools, tool calls/results, images, structured output, thinking; answers back."""
from __future__ import annotations

import json

import pytest

from app.agents import AgentParamError, bedrock
from tests.agents.conversation import TOOLS, agent_messages, data_url, png, request
from tests.spec_validation import validate_bedrock

CLAUDE = "global.anthropic.claude-sonnet-5-5"
NOVA = "us.amazon.nova-pro-v1:0"
BUDGET_CLAUDE = "global.anthropic.claude-haiku-4-5-20251001-v1:0"


def body_for(openai_body: dict, model_id: str = CLAUDE, max_tokens: int = 4096) -> dict:
    fields = bedrock.request_fields(openai_body, max_tokens=max_tokens, model_id=model_id)
    return {**fields, "inferenceConfig": {"maxTokens": max_tokens}}


def test_agent_conversation_translates_and_validates_with_botocore():
    body = body_for({"messages": agent_messages(data_url(png(40, 30))), "tools": TOOLS})
    validate_bedrock(body, CLAUDE)
    assert body["system"] == [{"text": "You are terse."}]
    spec = body["toolConfig"]["tools"][0]["toolSpec"]
    assert spec["name"] == "get_weather" and spec["inputSchema"]["json"]["required"] == ["city"]
    assert body["toolConfig"]["toolChoice"] == {"auto": {}}
    user, assistant, results = body["messages"]
    assert user["content"][1]["image"]["format"] == "png"
    assert assistant["content"][0] == {"toolUse": {"toolUseId": "call_w1", "name": "get_weather",
                                                   "input": {"city": "Paris"}}}
    assert results["content"] == [
        {"toolResult": {"toolUseId": "call_w1", "content": [{"text": '{"temp": 12, "unit": "c"}'}]}},
        {"toolResult": {"toolUseId": "call_t1", "content": [{"text": "14:05"}]}},
        {"text": "And tomorrow?"}]


@pytest.mark.parametrize("choice, expected", [
    ("auto", {"auto": {}}), ("required", {"any": {}}),
    ({"type": "function", "function": {"name": "get_time"}}, {"tool": {"name": "get_time"}}),
])
def test_tool_choice_maps_and_validates(choice, expected):
    body = body_for(request(tool_choice=choice))
    validate_bedrock(body, CLAUDE)
    assert body["toolConfig"]["toolChoice"] == expected


def test_tool_choice_none_omits_tools_before_any_call():
    body = body_for({"messages": [{"role": "user", "content": "hi"}], "tools": TOOLS, "tool_choice": "none"})
    validate_bedrock(body, CLAUDE)
    assert "toolConfig" not in body


def test_tool_choice_none_with_tool_history_is_refused():
    with pytest.raises(AgentParamError) as caught:
        body_for(request(tool_choice="none"))
    assert caught.value.param == "tool_choice"


def test_strict_tools_pass_strict():
    strict = {"type": "function", "function": {**TOOLS[0]["function"], "strict": True}}
    body = body_for({"messages": [{"role": "user", "content": "hi"}], "tools": [strict]})
    validate_bedrock(body, CLAUDE)
    assert body["toolConfig"]["tools"][0]["toolSpec"]["strict"] is True


def test_remote_image_urls_are_refused():
    messages = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}]}]
    with pytest.raises(AgentParamError) as caught:
        body_for({"messages": messages})
    assert caught.value.param == "messages[0].content[0].image_url"


def test_json_schema_becomes_output_config():
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    fmt = {"type": "json_schema", "json_schema": {"name": "count", "description": "a count", "schema": schema}}
    body = body_for({"messages": [{"role": "user", "content": "x"}], "response_format": fmt})
    validate_bedrock(body, CLAUDE)
    text_format = body["outputConfig"]["textFormat"]
    assert text_format["type"] == "json_schema"
    assert json.loads(text_format["structure"]["jsonSchema"]["schema"]) == schema
    assert text_format["structure"]["jsonSchema"]["name"] == "count"


def test_json_object_is_refused():
    with pytest.raises(AgentParamError) as caught:
        body_for({"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_object"}})
    assert caught.value.param == "response_format"


def test_reasoning_on_effort_claude_models_is_converse_output_config_effort():
    fmt = {"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "object"}}}
    body = body_for({"messages": [{"role": "user", "content": "x"}], "reasoning_effort": "minimal",
                     "response_format": fmt})
    validate_bedrock(body, CLAUDE)
    assert body["outputConfig"]["effort"] == "low" and "textFormat" in body["outputConfig"]
    assert "additionalModelRequestFields" not in body


def test_reasoning_on_budget_claude_models_is_thinking_in_additional_fields():
    body = body_for({"messages": [{"role": "user", "content": "x"}], "reasoning_effort": "medium"},
                    model_id=BUDGET_CLAUDE)
    validate_bedrock(body, BUDGET_CLAUDE)
    assert body["additionalModelRequestFields"] == {"thinking": {"type": "enabled", "budget_tokens": 4095}}


def test_reasoning_on_other_models_is_refused():
    with pytest.raises(AgentParamError) as caught:
        body_for({"messages": [{"role": "user", "content": "x"}], "reasoning_effort": "low"}, model_id=NOVA)
    assert caught.value.param == "reasoning_effort"


def test_parallel_tool_calls_off_is_refused():
    with pytest.raises(AgentParamError) as caught:
        body_for(request(parallel_tool_calls=False))
    assert caught.value.param == "parallel_tool_calls"


def test_answer_with_tool_use_becomes_tool_calls():
    payload = {"output": {"message": {"role": "assistant", "content": [
        {"text": "Checking."}, {"toolUse": {"toolUseId": "tooluse_1", "name": "get_time", "input": {"tz": "UTC"}}}]}},
        "stopReason": "tool_use"}
    calls = bedrock.tool_calls(payload)
    assert calls == [{"id": "tooluse_1", "type": "function",
                      "function": {"name": "get_time", "arguments": '{"tz":"UTC"}'}}]
    assert bedrock.finish_reason("tool_use", True) == "tool_calls"
    assert bedrock.finish_reason("max_tokens") == "length"


def test_stream_events_become_tool_call_deltas():
    stream = bedrock.ToolCallStream()
    events = [{"messageStart": {"role": "assistant"}},
              {"contentBlockDelta": {"delta": {"text": "Hi"}, "contentBlockIndex": 0}},
              {"contentBlockStart": {"start": {"toolUse": {"toolUseId": "tu_1", "name": "get_time"}},
                                     "contentBlockIndex": 1}},
              {"contentBlockDelta": {"delta": {"toolUse": {"input": '{"tz":'}}, "contentBlockIndex": 1}},
              {"contentBlockDelta": {"delta": {"toolUse": {"input": '"UTC"}'}}, "contentBlockIndex": 1}},
              {"contentBlockStop": {"contentBlockIndex": 1}},
              {"messageStop": {"stopReason": "tool_use"}}]
    deltas = [d for e in events for d in stream.feed(e)]
    assert deltas[0] == {"index": 0, "id": "tu_1", "type": "function", "function": {"name": "get_time", "arguments": ""}}
    assert "".join(d["function"]["arguments"] for d in deltas) == '{"tz":"UTC"}'


def test_forced_tools_are_refused_on_claude_models_that_reject_them():
    with pytest.raises(AgentParamError) as caught:
        body_for(request(tool_choice={"type": "function", "function": {"name": "get_time"}}),
                 model_id="global.anthropic.claude-opus-5-5")
    assert caught.value.param == "tool_choice"
