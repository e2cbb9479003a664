"""Anthropic Messages: OpenAI tools, tool calls/results, images, reasoning; answers and stream events back."""
from __future__ import annotations

import json

import pytest

from app.agents import AgentParamError, anthropic
from tests.agents.anthropic_overlay import validate_anthropic
from tests.agents.conversation import TOOLS, agent_messages, data_url, png, request


BUDGET_MODEL = "claude-haiku-4-5-20251001"     # takes a thinking budget
EFFORT_MODEL = "claude-sonnet-5-5"             # takes output_config.effort


def body_for(openai_body: dict, max_tokens: int = 4096, model: str = BUDGET_MODEL) -> dict:
    return {"model": model, "max_tokens": max_tokens,
            **anthropic.request_fields(openai_body, max_tokens=max_tokens, model=model)}


def test_agent_conversation_translates_and_is_valid_for_the_spec():
    body = body_for({"model": "m", "messages": agent_messages(data_url(png(40, 30))), "tools": TOOLS})
    validate_anthropic(body)
    assert body["system"] == "You are terse."
    assert [t["name"] for t in body["tools"]] == ["get_weather", "get_time"]
    assert body["tools"][0]["input_schema"]["required"] == ["city"]
    assert body["tool_choice"] == {"type": "auto"}
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["user", "assistant", "user"]
    user, assistant, results = body["messages"]
    assert user["content"][1]["source"]["type"] == "base64"
    assert user["content"][1]["source"]["media_type"] == "image/png"
    assert assistant["content"] == [
        {"type": "tool_use", "id": "call_w1", "name": "get_weather", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "call_t1", "name": "get_time", "input": {"tz": "CET"}}]
    # both results and the follow-up make one user turn, results first
    assert results["content"] == [
        {"type": "tool_result", "tool_use_id": "call_w1", "content": '{"temp": 12, "unit": "c"}'},
        {"type": "tool_result", "tool_use_id": "call_t1", "content": "14:05"},
        {"type": "text", "text": "And tomorrow?"}]


@pytest.mark.parametrize("choice, expected", [
    ("auto", {"type": "auto"}), ("none", {"type": "none"}), ("required", {"type": "any"}),
    ({"type": "function", "function": {"name": "get_time"}}, {"type": "tool", "name": "get_time"}),
])
def test_tool_choice_maps_and_validates(choice, expected):
    body = body_for(request(tool_choice=choice))
    validate_anthropic(body)
    assert body["tool_choice"] == expected


def test_parallel_tool_calls_off_disables_parallel_use():
    body = body_for(request(parallel_tool_calls=False))
    validate_anthropic(body)
    assert body["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}


def test_remote_image_url_is_passed_as_a_url_source():
    messages = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}]}]
    body = body_for({"messages": messages})
    validate_anthropic(body)
    assert body["messages"][0]["content"][0]["source"] == {"type": "url", "url": "https://x.test/a.png"}


def test_ids_anthropic_rejects_are_replaced_by_the_same_hash_on_call_and_result():
    odd = "call_abc__thought__c2lnbmF0dXJl+/="
    messages = [{"role": "user", "content": "hi"},
                {"role": "assistant", "tool_calls": [{"id": odd, "type": "function",
                                                      "function": {"name": "get_time", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": odd, "content": "noon"}]
    body = body_for({"messages": messages, "tools": TOOLS})
    validate_anthropic(body)
    use_id = body["messages"][1]["content"][0]["id"]
    assert use_id != odd and use_id == body["messages"][2]["content"][0]["tool_use_id"]


@pytest.mark.parametrize("fmt", [{"type": "json_object"},
                                 {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}])
def test_structured_output_is_refused_naming_response_format(fmt):
    with pytest.raises(AgentParamError) as caught:
        body_for(request(response_format=fmt))
    assert caught.value.param == "response_format"


def test_text_response_format_is_accepted():
    assert "messages" in body_for(request(response_format={"type": "text"}))


def test_reasoning_effort_becomes_a_thinking_budget_below_max_tokens():
    body = body_for({"messages": [{"role": "user", "content": "think"}], "reasoning_effort": "high"}, max_tokens=30000)
    validate_anthropic(body)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 24576}
    small = body_for({"messages": [{"role": "user", "content": "think"}], "reasoning_effort": "high"}, max_tokens=2000)
    assert small["thinking"]["budget_tokens"] == 1999


@pytest.mark.parametrize("effort, level", [("minimal", "low"), ("low", "low"), ("medium", "medium"),
                                           ("high", "high")])
def test_reasoning_effort_is_output_config_effort_on_models_that_take_it(effort, level):
    body = body_for({"messages": [{"role": "user", "content": "think"}], "reasoning_effort": effort},
                    model=EFFORT_MODEL)
    validate_anthropic(body)
    assert body["output_config"] == {"effort": level} and "thinking" not in body


@pytest.mark.parametrize("extra, param", [
    ({"temperature": 0.2}, "temperature"), ({"tool_choice": "required", "tools": TOOLS}, "tool_choice"),
    ({}, "max_tokens"),
])
def test_thinking_budget_refusals(extra, param):
    with pytest.raises(AgentParamError) as caught:
        body_for({"messages": [{"role": "user", "content": "x"}], "reasoning_effort": "low", **extra},
                 max_tokens=1024 if param == "max_tokens" else 4096)
    assert caught.value.param == param


def test_thinking_budget_with_tool_history_is_refused():
    with pytest.raises(AgentParamError) as caught:
        body_for(request(reasoning_effort="low"))
    assert caught.value.param == "reasoning_effort"


def test_overlay_still_rejects_what_the_api_rejects():
    body = body_for({"messages": [{"role": "user", "content": "x"}]})
    with pytest.raises(AssertionError):
        validate_anthropic({**body, "thinking": {"type": "enabled", "budget_tokens": 1000}})
    with pytest.raises(AssertionError):
        validate_anthropic({**body, "tool_choice": {"type": "none", "name": "x"}})
    with pytest.raises(AssertionError):
        validate_anthropic({**body, "output_config": {"effort": "minimal"}})


def test_answer_with_tool_use_becomes_openai_tool_calls():
    payload = {"content": [{"type": "text", "text": "Let me check."},
                           {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Oslo"}}],
               "stop_reason": "tool_use"}
    calls = anthropic.tool_calls(payload)
    assert calls == [{"id": "toolu_1", "type": "function",
                      "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'}}]
    assert json.loads(calls[0]["function"]["arguments"]) == {"city": "Oslo"}
    assert anthropic.finish_reason("tool_use", bool(calls)) == "tool_calls"
    assert anthropic.finish_reason("max_tokens") == "length"
    assert anthropic.finish_reason("end_turn") == "stop"


def test_stream_events_become_tool_call_deltas():
    stream = anthropic.ToolCallStream()
    events = [
        {"type": "message_start", "message": {"id": "msg"}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Checking"}},
        {"type": "content_block_start", "index": 1,
         "content_block": {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": '{"ci'}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": 'ty":"Oslo"}'}},
        {"type": "content_block_stop", "index": 1},
        {"type": "content_block_start", "index": 2,
         "content_block": {"type": "tool_use", "id": "toolu_2", "name": "get_time", "input": {}}},
        {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "{}"}},
    ]
    deltas = [d for e in events for d in stream.feed(e)]
    assert deltas[0] == {"index": 0, "id": "toolu_1", "type": "function",
                         "function": {"name": "get_weather", "arguments": ""}}
    assert "".join(d["function"]["arguments"] for d in deltas if d["index"] == 0) == '{"city":"Oslo"}'
    assert deltas[3]["index"] == 1 and deltas[3]["id"] == "toolu_2"
    assert stream.called


@pytest.mark.parametrize("model", ["claude-opus-5-5", "claude-fable-5-1"])
def test_forced_tools_are_refused_on_models_that_reject_them(model):
    with pytest.raises(AgentParamError) as caught:
        body_for(request(tool_choice="required"), model=model)
    assert caught.value.param == "tool_choice"
    assert body_for(request(tool_choice="auto"), model=model)["tool_choice"] == {"type": "auto"}
