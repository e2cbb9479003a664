"""/v1 agent features through the real router and adapters (vendors mocked with `responses`): tool
calls in and out, refusals by capability and by dialect (400s before any call, skipped under auto),
reasoning tokens in usage, and image tokens in the estimate."""
import json
from decimal import Decimal

import pytest

from app.agents.images import anthropic_tokens
from app.catalog import load_catalog
from tests.agents.anthropic_overlay import validate_anthropic
from tests.agents.conversation import TOOLS, data_url, png
from tests.fakes.tools import tool_reply
from tests.gateway.conftest import ANTHROPIC_URL, CHAT, OPENAI_URL
from tests.routing.test_send_prompt_api import openai_reply

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
START = [{"role": "system", "content": "Use tools."}, {"role": "user", "content": "Weather in Paris?"}]
GROQ_URL = "https://groq.test/openai/v1/chat/completions"


def chat(client, expect=200, **body):
    response = client.post(CHAT, json={"messages": START, **body})
    assert response.status_code == expect, response.get_data(as_text=True)
    return response.get_json()


def answer_like_the_vendor(dialect):
    """A `responses` callback answering as the fake vendor does (tool call, then the final text)."""
    def callback(request):
        body = json.loads(request.body)
        return 200, {}, json.dumps(tool_reply(dialect, body.get("model", "m"), body))
    return callback


def refused(client, mocked, param, **body):
    error = chat(client, 400, **body)["error"]
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, "unsupported_parameter")
    assert not mocked.calls   # refused before any vendor call
    return error["message"]


def test_an_anthropic_agent_loop_through_v1(client, mocked):
    mocked.add_callback("POST", ANTHROPIC_URL, callback=answer_like_the_vendor("anthropic"))
    reply = chat(client, model="anthropic/claude-haiku-5-5", tools=TOOLS, tool_choice="auto")
    choice = reply["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None
    [call] = choice["message"]["tool_calls"]
    assert call["type"] == "function" and call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}
    messages = START + [choice["message"], {"role": "tool", "tool_call_id": call["id"], "content": '{"temp": 12}'}]
    second = chat(client, model="anthropic/claude-haiku-5-5", messages=messages, tools=TOOLS)
    assert second["choices"][0]["finish_reason"] == "stop" and "12" in second["choices"][0]["message"]["content"]
    assert "tool_calls" not in second["choices"][0]["message"]
    for sent in (json.loads(c.request.body) for c in mocked.calls):
        validate_anthropic(sent)
    last = json.loads(mocked.calls[1].request.body)
    assert last["tools"][0]["input_schema"]["required"] == ["city"]
    assert last["messages"][-1]["content"][0] == {"type": "tool_result", "tool_use_id": call["id"],
                                                  "content": '{"temp": 12}'}


def test_openai_features_pass_on_and_reasoning_tokens_are_reported(client, mocked):
    mocked.post(OPENAI_URL, json=openai_reply("{}", prompt_tokens=100, completion_tokens=50, reasoning=30))
    reply = chat(client, model="openai/gpt-6-luna", tools=TOOLS, tool_choice="required", reasoning_effort="high",
                 parallel_tool_calls=False)
    assert reply["usage"]["completion_tokens_details"] == {"reasoning_tokens": 30}
    assert reply["usage"]["completion_tokens"] == 50   # reasoning is part of the output, priced as output
    sent = json.loads(mocked.calls[0].request.body)
    assert (sent["tools"], sent["tool_choice"], sent["reasoning_effort"], sent["parallel_tool_calls"]) == (
        TOOLS, "required", "high", False)


def test_a_documented_lack_on_a_named_model_is_a_400_naming_the_parameter(client, mocked):
    # capabilities.csv: gpt-6.1-terra's tool calls need OpenAI's Responses API (tools false)
    message = refused(client, mocked, "tools", model="openai/gpt-6.1-terra", tools=TOOLS)
    assert "openai/gpt-6.1-terra does not support" in message
    image = [{"role": "user", "content": [{"type": "text", "text": "What is it?"},
                                          {"type": "image_url", "image_url": {"url": data_url(png(8, 8))}}]}]
    refused(client, mocked, "messages", model="groq/llama-3.3-70b", messages=image)   # vision false


def test_what_the_dialect_cannot_honour_is_a_400_before_any_call(client, mocked):
    message = refused(client, mocked, "response_format", model="anthropic/claude-haiku-5-5",
                      response_format={"type": "json_object"})
    assert "structured output" in message


def test_a_malformed_agent_field_is_a_400_naming_where(client, mocked):
    refused(client, mocked, "tool_choice", model="openai/gpt-6-luna", tools=TOOLS,
            tool_choice={"type": "function", "function": {"name": "not_offered"}})
    call = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "[1]"}}
    bad_args = START + [{"role": "assistant", "tool_calls": [call]},
                        {"role": "tool", "tool_call_id": "c1", "content": "12"}]
    refused(client, mocked, "messages[2].tool_calls[0].function.arguments", model="openai/gpt-6-luna",
            messages=bad_args, tools=TOOLS)


@pytest.mark.parametrize("body, param", [
    ({"messages": [{"role": "tool", "content": "x"}]}, "messages[0].tool_call_id"),
    ({"messages": [{"role": "user", "content": "x", "tool_calls": []}]}, "messages[0].tool_calls"),
    ({"messages": [{"role": "assistant", "content": None}]}, "messages[0].content"),
    ({"messages": [{"role": "assistant", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]},
     "messages[0].content"),
    ({"messages": START, "tools": [{"type": "retrieval", "function": {"name": "f"}}]}, "tools[0].type"),
    ({"messages": START, "tool_choice": "sometimes"}, "tool_choice"),
    ({"messages": START, "reasoning_effort": "extreme"}, "reasoning_effort"),
    ({"messages": START, "response_format": {"type": "xml"}}, "response_format.type"),
])
def test_shapes_are_checked_by_the_schema(client, body, param):
    response = client.post(CHAT, json={"model": "openai/gpt-6-luna", **body})
    assert response.status_code == 400 and response.get_json()["error"]["param"] == param, response.get_json()


def test_auto_only_considers_models_documented_to_support_the_request(client, mocked):
    capabilities = {m.id: m.capabilities for m in load_catalog(ROOT / "models.csv", ROOT / "quality.csv",
                                                               ROOT / "capabilities.csv")}
    mocked.add_callback("POST", GROQ_URL, callback=answer_like_the_vendor("openai"))
    mocked.add_callback("POST", OPENAI_URL, callback=answer_like_the_vendor("openai"))
    reply = chat(client, model="auto", tools=TOOLS, price_runner={"providers": ["groq", "openai"]})
    assert capabilities[reply["model"]]["tools"] is True
    assert reply["choices"][0]["finish_reason"] == "tool_calls"
    # the cheapest groq models (llama-3.1-8b, tools unknown) were not called
    assert all(json.loads(c.request.body)["model"] != "llama-3.1-8b-instant" for c in mocked.calls)


def test_auto_with_no_documented_support_is_a_400(client, mocked):
    message = refused(client, mocked, "response_format", model="auto", response_format={"type": "json_object"},
                      price_runner={"providers": ["anthropic"]})
    assert "capabilities.csv" in message


def test_image_tokens_are_in_the_estimate_by_the_vendors_rule(client, mocked):
    mocked.add_callback("POST", ANTHROPIC_URL, callback=answer_like_the_vendor("anthropic"))
    text = [{"type": "text", "text": "What is it?"}]
    image = {"type": "image_url", "image_url": {"url": data_url(png(1000, 800))}}
    costs = [Decimal(str(chat(client, model="anthropic/claude-haiku-5-5", max_tokens=10, tools=TOOLS,
                              messages=[{"role": "user", "content": content}])["price_runner"]["estimated_cost"]))
             for content in (text, text + [image])]
    model = next(m for m in load_catalog(ROOT / "models.csv", ROOT / "quality.csv")
                 if m.id == "anthropic/claude-haiku-5-5")
    tokens = anthropic_tokens(1000, 800)
    assert tokens > 1000   # width x height / 750
    expected = Decimal(tokens) * Decimal(str(model.input_price_per_mtok)) / 1_000_000
    assert abs((costs[1] - costs[0]) - expected) < Decimal("1e-12")

