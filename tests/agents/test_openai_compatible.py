"""OpenAI-compatible vendors and Azure: the features pass through, checked first, valid for each spec."""
from __future__ import annotations

import pytest

from app.agents import AgentParamError, openai_chat as openai
from tests.agents.conversation import agent_messages, data_url, png, request
from tests.spec_validation import validate_azure, validate_openapi

FMT = {"type": "json_schema", "json_schema": {"name": "n", "strict": True,
                                              "schema": {"type": "object", "properties": {}}}}


@pytest.mark.parametrize("vendor, max_field", [("openai", "max_completion_tokens"), ("mistral", "max_tokens"),
                                               ("together", "max_tokens"), ("openrouter", "max_tokens")])
def test_agent_request_passes_through_and_validates(vendor, max_field):
    body = request(tool_choice="required", response_format=FMT, reasoning_effort="low")
    body["messages"] = agent_messages(data_url(png(10, 10)))
    sent = {"model": "m", max_field: 100, **openai.request_fields(body, vendor)}
    validate_openapi(vendor, sent)
    assert sent["tools"] == body["tools"] and sent["response_format"] == FMT
    assert sent["messages"][2]["tool_calls"][1]["function"] == body["messages"][2]["tool_calls"][1]["function"]
    assert "content" not in sent["messages"][2]   # null content is omitted
    assert sent["messages"][1] == body["messages"][1]


def test_azure_body_validates_without_model():
    sent = {"max_completion_tokens": 100, **openai.request_fields(request(tool_choice="auto"))}
    validate_azure(sent)


def test_bad_tool_choice_is_our_400_before_sending():
    with pytest.raises(AgentParamError) as caught:
        openai.request_fields(request(tool_choice={"type": "function", "function": {"name": "missing"}}))
    assert caught.value.param == "tool_choice"


def test_tool_calls_are_read_from_the_answer():
    payload = {"choices": [{"message": {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        "finish_reason": "tool_calls"}]}
    assert openai.tool_calls(payload) == [{"id": "call_1", "type": "function",
                                           "function": {"name": "f", "arguments": "{}"}}]
    assert openai.tool_calls({"choices": []}) == []
