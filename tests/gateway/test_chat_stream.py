"""POST /v1/chat/completions with stream: true, vendors mocked with `responses` streamed bodies."""
import json

import pytest

from app.gateway.chunks import Chunks, delta_of, error_event, replayed
from app.routing.streamed import delta
from tests.gateway.conftest import ANTHROPIC_URL, CHAT, HI, OPENAI_URL
from tests.routing.test_send_prompt_api import openai_stream, stream_mock

SOL, LUNA, HAIKU = "openai/gpt-6.1-sol", "openai/gpt-6-luna", "anthropic/claude-haiku-5-5"
USAGE = {"include_usage": True}


def stream(client, expect=200, headers=None, **body):
    response = client.post(CHAT, json={"messages": HI, "stream": True, **body}, headers=headers or {})
    assert response.status_code == expect, response.get_data(as_text=True)
    return response


def events(response):
    """The data of each event (JSON, or the [DONE] marker), comments skipped."""
    found = []
    for block in response.get_data(as_text=True).split("\n\n"):
        lines = [line for line in block.splitlines() if line and not line.startswith(":")]
        if lines:
            assert len(lines) == 1 and lines[0].startswith("data: ")
            data = lines[0][len("data: "):]
            found.append(data if data == "[DONE]" else json.loads(data))
    return found


def text_of(found):
    return "".join(e["choices"][0]["delta"].get("content") or "" for e in found
                   if isinstance(e, dict) and e.get("choices"))


# Chunk encoding


def test_a_piece_of_text_or_tool_calls_becomes_its_delta():
    class ToolCallDelta:
        tool_calls = [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "f", "arguments": ""}}]

    assert delta_of("Bon") == {"content": "Bon"}
    assert delta_of({"id": SOL, "text": "jour"}) == {"content": "jour"}
    assert delta_of(ToolCallDelta()) == {"tool_calls": ToolCallDelta.tool_calls}
    assert delta_of({"id": SOL, "tool_calls": ToolCallDelta.tool_calls}) == {"tool_calls": ToolCallDelta.tool_calls}
    assert delta_of("") is None and delta_of({"id": SOL, "text": ""}) is None and delta_of(object()) is None
    # The router's delta events carry either, and a tool-call delta reaches the chunk unchanged.
    assert delta("m", "hi") == {"id": "m", "text": "hi"}
    assert delta_of(delta("m", ToolCallDelta())) == {"tool_calls": ToolCallDelta.tool_calls}


def test_chunks_are_openai_chat_completion_chunks():
    chunks = Chunks("chatcmpl-1", 7, SOL)
    role, = events_of(chunks.role())
    assert role == {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 7, "model": SOL,
                    "system_fingerprint": None,
                    "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None,
                                 "finish_reason": None}]}
    finish, = events_of(chunks.finish("stop", {"price_runner": {"cost": 1}}))
    assert finish["choices"][0]["delta"] == {} and finish["choices"][0]["finish_reason"] == "stop"
    assert finish["price_runner"] == {"cost": 1}
    usage, = events_of(chunks.usage({"prompt_tokens": 1}, {"price_runner": {"cost": 1}}))
    assert usage["choices"] == [] and usage["usage"] == {"prompt_tokens": 1} and usage["price_runner"] == {"cost": 1}
    assert chunks.delta("") is None
    error, = events_of(error_event("it broke", "vendor_error"))
    assert error == {"error": {"message": "it broke", "type": "server_error", "param": None, "code": "vendor_error"}}


def events_of(raw: bytes):
    assert raw.startswith(b"data: ") and raw.endswith(b"\n\n") and raw.count(b"\n") == 2
    return [json.loads(raw[len(b"data: "):])]


def test_a_recorded_completion_replays_as_chunks():
    completion = {"id": "chatcmpl-9", "created": 3, "model": SOL, "price_runner": {"cost": 0.5},
                  "choices": [{"message": {"role": "assistant", "content": "Hi"}, "finish_reason": "length"}],
                  "usage": {"prompt_tokens": 2}}
    found = [events_of(raw)[0] if raw != b"data: [DONE]\n\n" else "[DONE]" for raw in replayed(completion, True)]
    assert text_of(found) == "Hi" and found[-1] == "[DONE]"
    assert found[-2]["usage"] == {"prompt_tokens": 2} and found[-2]["price_runner"] == {"cost": 0.5}
    assert found[-3]["choices"][0]["finish_reason"] == "length" and "price_runner" not in found[-3]


# The stream through the router


def test_a_stream_with_include_usage_ends_with_usage_and_price_runner(client, mocked):
    stream_mock(mocked, OPENAI_URL, openai_stream("Bonjour tout le monde", prompt_tokens=1000, completion_tokens=100))
    response = stream(client, model=SOL, stream_options=USAGE)
    assert response.mimetype == "text/event-stream" and response.headers["X-Accel-Buffering"] == "no"
    assert response.headers["X-Price-Runner-Model"] == SOL and "X-Price-Runner-Cost" not in response.headers
    found = events(response)
    assert found[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert text_of(found) == "Bonjour tout le monde" and found[-1] == "[DONE]"
    assert len({e["id"] for e in found[:-1]}) == 1 and all(e["model"] == SOL for e in found[:-1])
    finish, usage = found[-3], found[-2]
    assert finish["choices"][0]["finish_reason"] == "stop" and "price_runner" not in finish
    assert usage["choices"] == [] and usage["usage"]["prompt_tokens"] == 1000
    assert usage["usage"]["completion_tokens"] == 100 and usage["usage"]["total_tokens"] == 1100
    # gpt-6.1-sol: $2 in, $10 out per million: 1000*2 + 100*10 = 3000 per million.
    assert usage["price_runner"]["cost"] == pytest.approx(0.003) and usage["price_runner"]["model"] == SOL
    assert usage["price_runner"]["attempts"] == [{"model": SOL, "provider": "openai", "error": None,
                                                  "cost": usage["price_runner"]["cost"]}]
    assert json.loads(mocked.calls[0].request.body)["stream"] is True


def test_without_include_usage_price_runner_rides_on_the_finish_chunk(client, mocked):
    stream_mock(mocked, OPENAI_URL, openai_stream("Hi there"))
    found = events(stream(client, model=SOL))
    assert found[-1] == "[DONE]" and found[-2]["choices"][0]["finish_reason"] == "stop"
    assert found[-2]["price_runner"]["model"] == SOL and not any("usage" in e for e in found[:-1])


def test_a_500_before_the_first_token_falls_back_invisibly(client, mocked):
    mocked.post(ANTHROPIC_URL, status=500, json={"type": "error", "error": {"type": "api_error", "message": "boom"}})
    stream_mock(mocked, OPENAI_URL, openai_stream("from openai"))
    response = stream(client, model=HAIKU, models=[LUNA], stream_options=USAGE)
    assert response.headers["X-Price-Runner-Model"] == LUNA
    found = events(response)
    assert text_of(found) == "from openai" and all(e["model"] == LUNA for e in found[:-1])
    attempts = found[-2]["price_runner"]["attempts"]
    assert [(a["model"], (a["error"] or {}).get("status")) for a in attempts] == [(HAIKU, 500), (LUNA, None)]
    assert attempts[0]["cost"] == 0


@pytest.mark.parametrize("kind, falls_back", [("server_error", True), ("invalid_request_error", False)])
def test_a_stream_that_fails_before_its_first_token_falls_back_if_the_error_is_transient(client, mocked, kind,
                                                                                       falls_back):
    error = {"error": {"message": "overloaded", "type": kind}}
    stream_mock(mocked, OPENAI_URL, f"data: {json.dumps(error)}\n\n")   # the first call
    stream_mock(mocked, OPENAI_URL, openai_stream("from luna"))            # the second
    response = stream(client, 200 if falls_back else 502, model=SOL, models=[LUNA], stream_options=USAGE)
    if falls_back:
        found = events(response)
        assert text_of(found) == "from luna" and response.headers["X-Price-Runner-Model"] == LUNA
        assert found[-2]["price_runner"]["attempts"][0]["error"]["type"] == "stream_error"
    else:
        assert response.get_json()["error"]["code"] == "vendor_error" and len(mocked.calls) == 1


def test_every_candidate_failing_before_a_token_is_an_ordinary_error_reply(client, mocked):
    mocked.post(OPENAI_URL, status=429, json={"error": {"message": "slow down"}}, headers={"Retry-After": "7"})
    response = stream(client, 429, model=LUNA)
    assert response.mimetype == "application/json" and response.headers["Retry-After"] == "7"
    assert response.get_json()["error"]["type"] == "rate_limit_error"
    assert client.application.extensions["routing"].slots.open() == 0


def test_idempotency_key_replays_a_stream_as_chunks_without_calling(client, mocked):
    stream_mock(mocked, OPENAI_URL, openai_stream("Hello again"))
    key = {"Idempotency-Key": "s-1"}
    first = events(stream(client, model=SOL, stream_options=USAGE, headers=key))
    again_response = stream(client, model=SOL, stream_options=USAGE, headers=key)
    again = events(again_response)
    assert again_response.headers["Idempotent-Replayed"] == "true" and len(mocked.calls) == 1
    assert text_of(again) == text_of(first) == "Hello again"
    assert again[-2]["price_runner"] == first[-2]["price_runner"] and again[-2]["usage"] == first[-2]["usage"]
    assert again[-2]["id"] == first[-2]["id"]


def test_a_full_worker_refuses_a_stream_with_a_503_in_openai_format(client, mocked):
    slots = client.application.extensions["routing"].slots
    for _ in range(slots.limit):
        slots.take()
    try:
        response = stream(client, 503, model=SOL)
    finally:
        for _ in range(slots.limit):
            slots.give_back()
    assert response.headers["Retry-After"] == "1" and response.get_json()["error"]["type"] == "server_error"
    assert not mocked.calls


def test_the_slot_is_given_back_when_the_stream_ends(client, mocked):
    stream_mock(mocked, OPENAI_URL, openai_stream())
    response = stream(client, model=SOL)
    events(response)
    response.close()
    assert client.application.extensions["routing"].slots.open() == 0


def test_auto_streams_the_cheapest_model(client, mocked):
    mocked.post("https://groq.test/openai/v1/chat/completions", body=openai_stream("cheap"),
                content_type="text/event-stream")
    response = stream(client, model="auto", stream_options=USAGE)
    found = events(response)
    assert text_of(found) == "cheap" and found[-2]["price_runner"]["model"].startswith("groq/")
    assert response.headers["X-Price-Runner-Model"] == found[-2]["price_runner"]["model"]
