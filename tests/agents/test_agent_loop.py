"""An agent loop per dialect against the fake vendors: the model asks for a tool, the test answers,
the model finishes. Every body sent is checked against the vendor's spec, and every answer read back
through the translations; the OpenAI dialect is driven by the official ``openai`` SDK."""
from __future__ import annotations

import json

import openai as openai_sdk
import pytest
import requests

from app.agents import anthropic, bedrock, gemini
from tests.agents.anthropic_overlay import validate_anthropic
from tests.agents.conversation import TOOLS
from tests.fakes.server import FakeVendorServer
from tests.fakes.tools import SIGNATURE, tool_stream
from tests.agents.gemini_overlay import validate_gemini
from tests.spec_validation import validate_bedrock

CLAUDE_ON_BEDROCK = "global.anthropic.claude-sonnet-5-5"
START = [{"role": "system", "content": "Use tools."}, {"role": "user", "content": "Weather in Paris?"}]


@pytest.fixture(scope="module")
def fake():
    with FakeVendorServer() as server:
        yield server


def send_anthropic(fake, openai_body):
    body = {"model": "claude-haiku-4-5", "max_tokens": 500,
            **anthropic.request_fields(openai_body, max_tokens=500, model="claude-haiku-4-5")}
    validate_anthropic(body)
    payload = requests.post(f"{fake.url}/v1/messages", json=body, headers={"x-api-key": "k"}, timeout=5).json()
    text = "".join(b["text"] for b in payload["content"] if b["type"] == "text")
    calls = anthropic.tool_calls(payload)
    return text, calls, anthropic.finish_reason(payload["stop_reason"], bool(calls))


def send_gemini(fake, openai_body):
    body = gemini.request_fields(openai_body, "gemini-3.5-flash")
    validate_gemini(body)
    payload = requests.post(f"{fake.url}/v1beta/models/gemini-3.5-flash:generateContent", json=body,
                            headers={"x-goog-api-key": "k"}, timeout=5).json()
    assert "error" not in payload, payload
    candidate = payload["candidates"][0]
    text = "".join(p.get("text", "") for p in candidate["content"]["parts"])
    calls = gemini.tool_calls(payload)
    return text, calls, gemini.finish_reason(candidate["finishReason"], bool(calls))


def send_bedrock(fake, openai_body):
    body = {**bedrock.request_fields(openai_body, max_tokens=500, model_id=CLAUDE_ON_BEDROCK),
            "inferenceConfig": {"maxTokens": 500}}
    validate_bedrock(body, CLAUDE_ON_BEDROCK)
    payload = requests.post(f"{fake.url}/model/{CLAUDE_ON_BEDROCK}/converse", json=body,
                            headers={"Authorization": "Bearer k"}, timeout=5).json()
    text = "".join(b.get("text", "") for b in payload["output"]["message"]["content"])
    calls = bedrock.tool_calls(payload)
    return text, calls, bedrock.finish_reason(payload["stopReason"], bool(calls))


@pytest.mark.parametrize("send", [send_anthropic, send_gemini, send_bedrock], ids=["anthropic", "gemini", "bedrock"])
def test_agent_loop(fake, send):
    messages = list(START)
    text, calls, finish = send(fake, {"messages": messages, "tools": TOOLS})
    assert finish == "tool_calls"
    [call] = calls
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}
    messages += [{"role": "assistant", "content": text or None, "tool_calls": calls},
                 {"role": "tool", "tool_call_id": call["id"], "content": '{"temp": 12}'}]
    text, calls, finish = send(fake, {"messages": messages, "tools": TOOLS})
    assert (calls, finish) == ([], "stop")
    assert text.startswith("Done: ") and "12" in text   # the result reached the vendor


def test_gemini_signature_rides_in_the_id_and_comes_back(fake):
    _, [call], _ = send_gemini(fake, {"messages": START, "tools": TOOLS})
    assert call["id"].endswith("__thought__" + SIGNATURE)
    # without its signature the fake answers as Gemini 3 does: a 400
    bare = {**call, "id": "call_without_signature"}
    messages = START + [{"role": "assistant", "tool_calls": [bare]},
                        {"role": "tool", "tool_call_id": bare["id"], "content": "sunny"}]
    answer = requests.post(f"{fake.url}/v1beta/models/g:generateContent", json=gemini.request_fields(
        {"messages": messages, "tools": TOOLS}), headers={"x-goog-api-key": "k"}, timeout=5)
    assert answer.status_code == 400 and "thought_signature" in answer.json()["error"]["message"]


def test_tool_choice_none_gets_text(fake):
    text, calls, finish = send_anthropic(fake, {"messages": START, "tools": TOOLS, "tool_choice": "none"})
    assert calls == [] and finish == "stop"


def test_openai_sdk_agent_loop_against_the_fake(fake):
    client = openai_sdk.OpenAI(base_url=f"{fake.url}/v1", api_key="k", max_retries=0)
    messages = list(START)
    first = client.chat.completions.create(model="gpt-6-luna", messages=messages, tools=TOOLS)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {"city": "Paris"}
    messages += [choice.message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": '{"temp": 12}'}]
    second = client.chat.completions.create(model="gpt-6-luna", messages=messages, tools=TOOLS)
    assert second.choices[0].finish_reason == "stop" and "12" in second.choices[0].message.content


def test_fake_tool_streams_decode_into_openai_deltas():
    body = {"messages": [{"role": "user", "content": "x"}], "tools": TOOLS}
    decoded = {}
    for module, dialect, vendor_body in [
            (anthropic, "anthropic", anthropic.request_fields(body, max_tokens=100, model="claude-haiku-4-5")),
            (gemini, "gemini", gemini.request_fields(body)),
            (bedrock, "bedrock", bedrock.request_fields(body, max_tokens=100, model_id=CLAUDE_ON_BEDROCK))]:
        stream = module.ToolCallStream()
        deltas = [d for event in tool_stream(dialect, "m", vendor_body) for d in stream.feed(event)]
        decoded[dialect] = (deltas[0]["function"]["name"], "".join(d["function"]["arguments"] for d in deltas))
    assert set(decoded.values()) == {("get_weather", '{"city":"Paris"}')}


def test_fake_openai_tool_stream_is_what_the_sdk_reads():
    from openai.types.chat import ChatCompletionChunk
    chunks = [ChatCompletionChunk.model_validate(c) for c in tool_stream("openai", "m", {"tools": TOOLS,
                                                                                         "messages": []})]
    arguments = "".join(c.choices[0].delta.tool_calls[0].function.arguments or ""
                        for c in chunks if c.choices[0].delta.tool_calls)
    assert json.loads(arguments) == {"city": "Paris"} and chunks[-1].choices[0].finish_reason == "tool_calls"
