"""The real adapters with a /v1 request's agent features (PromptRequest.agent): each dialect's body is
built through app.agents and checked against the vendor's spec; answers and streams carrying tool
calls come back as OpenAI tool_calls with finish_reason tool_calls."""
from __future__ import annotations

import json

import pytest

from app.agents import AgentParamError
from app.providers.base import PromptRequest
from app.providers.messages import USER, Message
from app.providers.stream_events import ToolCallsDelta, merge_tool_call
from tests.agents.anthropic_overlay import validate_anthropic
from tests.agents.conversation import TOOLS, agent_messages, data_url, png
from tests.agents.gemini_overlay import validate_gemini
from tests.fakes.dialects import encode_stream
from tests.fakes.tools import final_text, tool_reply, tool_stream
from tests.providers.cases import adapter_for
from tests.spec_validation import validate_azure, validate_bedrock, validate_openapi

CLAUDE_ON_BEDROCK = "anthropic.claude-3-5-sonnet-20240620-v1:0"
MODELS = {"openai": "gpt-4o-mini", "mistral": "mistral-small-latest", "azure": "my-deploy",
          "anthropic": "claude-haiku-4-5", "google": "gemini-2.5-flash", "bedrock": CLAUDE_ON_BEDROCK}
FAKE_DIALECT = {"openai": "openai", "mistral": "openai", "azure": "openai", "anthropic": "anthropic",
                "google": "gemini", "bedrock": "bedrock"}
START = [{"role": "system", "content": "Use tools."}, {"role": "user", "content": "Weather in Paris?"}]


def prompt(vendor: str, agent: dict, max_tokens: int = 4000, **changes) -> PromptRequest:
    return PromptRequest("", model=MODELS[vendor], max_tokens=max_tokens, messages=(Message.text(USER, "x"),),
                         agent=agent, **changes)


def sent(vendor: str, request: PromptRequest) -> dict:
    return json.loads(adapter_for(vendor).build(request).body)


def validate(vendor: str, body: dict) -> None:
    if vendor in ("openai", "mistral"):
        validate_openapi(vendor, body)
    elif vendor == "azure":
        validate_azure(body)
    elif vendor == "anthropic":
        validate_anthropic(body)
    elif vendor == "google":
        validate_gemini(body)
    else:
        validate_bedrock(body, CLAUDE_ON_BEDROCK)


@pytest.mark.parametrize("vendor", list(MODELS))
def test_a_multi_turn_tool_conversation_with_an_image_is_valid_in_every_dialect(vendor):
    image = data_url(png(64, 48))
    body = sent(vendor, prompt(vendor, {"messages": agent_messages(image), "tools": TOOLS,
                                        "tool_choice": "auto"}, temperature=0.3))
    validate(vendor, body)
    text = json.dumps(body)
    assert "get_weather" in text and "Paris" in text and "14:05" in text   # tools, calls and results all went
    assert png(64, 48) != b"" and image.split(",")[1][:40] in text          # the image bytes went too
    # the sampling parameters still reach each dialect's own field
    assert {"openai": body.get("temperature"), "mistral": body.get("temperature"),
            "azure": body.get("temperature"), "anthropic": body.get("temperature"),
            "google": body.get("generationConfig", {}).get("temperature"),
            "bedrock": body.get("inferenceConfig", {}).get("temperature")}[vendor] == 0.3


@pytest.mark.parametrize("vendor", list(MODELS))
def test_max_tokens_stays_in_the_dialects_field(vendor):
    body = sent(vendor, prompt(vendor, {"messages": START, "tools": TOOLS}, max_tokens=321))
    found = {"openai": body.get("max_completion_tokens"), "mistral": body.get("max_tokens"),
             "azure": body.get("max_completion_tokens") or body.get("max_tokens"),
             "anthropic": body.get("max_tokens"), "google": body.get("generationConfig", {}).get("maxOutputTokens"),
             "bedrock": body.get("inferenceConfig", {}).get("maxTokens")}[vendor]
    assert found == 321


def test_structured_output_and_reasoning_merge_into_gemini_generation_config():
    agent = {"messages": START, "response_format": {"type": "json_schema", "json_schema": {
        "name": "w", "schema": {"type": "object", "properties": {"t": {"type": "number"}}}}},
        "reasoning_effort": "low"}
    body = sent("google", prompt("google", agent, max_tokens=900))
    validate_gemini(body)
    config = body["generationConfig"]
    assert config["maxOutputTokens"] == 900 and config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"]["properties"] == {"t": {"type": "number"}} and "thinkingConfig" in config


def test_reasoning_effort_becomes_an_anthropic_thinking_budget_under_max_tokens():
    body = sent("anthropic", prompt("anthropic", {"messages": START, "reasoning_effort": "medium"}, max_tokens=4000))
    validate_anthropic(body)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 3999} and body["max_tokens"] == 4000


@pytest.mark.parametrize("vendor, agent, param", [
    ("anthropic", {"messages": START, "response_format": {"type": "json_object"}}, "response_format"),
    ("bedrock", {"messages": START, "response_format": {"type": "json_object"}}, "response_format"),
    ("google", {"messages": START, "tools": TOOLS, "parallel_tool_calls": False}, "parallel_tool_calls"),
    ("google", {"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}]}, "messages[0].content[0].image_url"),
])
def test_what_a_dialect_cannot_honour_is_an_agent_param_error_before_any_call(vendor, agent, param):
    with pytest.raises(AgentParamError) as caught:
        adapter_for(vendor).build(prompt(vendor, agent))
    assert caught.value.param == param


@pytest.mark.parametrize("vendor", list(MODELS))
def test_a_tool_call_answer_parses_into_openai_tool_calls(vendor):
    adapter, dialect = adapter_for(vendor), FAKE_DIALECT[vendor]
    request = prompt(vendor, {"messages": START, "tools": TOOLS})
    completion = adapter.parse(tool_reply(dialect, MODELS[vendor], json.loads(adapter.build(request).body)))
    [call] = completion.tool_calls
    assert call["type"] == "function" and call["id"]
    assert call["function"]["name"] == "get_weather" and json.loads(call["function"]["arguments"]) == {"city": "Paris"}
    assert completion.finish_reason == "tool_calls"


@pytest.mark.parametrize("vendor", list(MODELS))
def test_the_answer_after_the_results_is_text_and_its_own_finish_reason(vendor):
    adapter, dialect = adapter_for(vendor), FAKE_DIALECT[vendor]
    first = adapter.parse(tool_reply(dialect, MODELS[vendor], sent(vendor, prompt(vendor, {"messages": START,
                                                                                            "tools": TOOLS}))))
    messages = START + [{"role": "assistant", "content": None, "tool_calls": list(first.tool_calls)},
                        {"role": "tool", "tool_call_id": first.tool_calls[0]["id"], "content": '{"temp": 12}'}]
    body = sent(vendor, prompt(vendor, {"messages": messages, "tools": TOOLS}))
    validate(vendor, body)
    completion = adapter.parse(tool_reply(dialect, MODELS[vendor], body))
    assert completion.tool_calls == () and completion.text.startswith("Done: ") and "12" in completion.text
    assert completion.finish_reason in ("stop", "end_turn", "STOP")   # the vendor's own value, mapped by /v1


@pytest.mark.parametrize("vendor", list(MODELS))
def test_a_streamed_tool_call_decodes_into_tool_call_deltas(vendor):
    adapter, dialect = adapter_for(vendor), FAKE_DIALECT[vendor]
    body = sent(vendor, prompt(vendor, {"messages": START, "tools": TOOLS}))
    decoder = adapter.stream_decoder(1 << 20)
    events = [e for chunk in encode_stream(dialect, tool_stream(dialect, MODELS[vendor], body))
              for e in decoder.feed(chunk)]
    deltas = [e for e in events if isinstance(e, ToolCallsDelta)]
    assert len(deltas) >= 1
    calls: dict = {}
    for delta in deltas:
        for piece in delta.tool_calls:
            merge_tool_call(calls, piece)
    [call] = calls.values()
    assert call["id"] and call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}


def test_plain_requests_do_not_go_through_the_agents_layer():
    plain = PromptRequest("Hi", system="Be brief.", model=MODELS["anthropic"], max_tokens=10)
    assert sent("anthropic", plain) == {"model": MODELS["anthropic"], "max_tokens": 10, "system": "Be brief.",
                                        "messages": [{"role": "user", "content": "Hi"}]}
    assert final_text("anthropic", sent("anthropic", plain)) is None
