"""A streamed agent loop at the TokenStream level, against the fake vendors on loopback, every dialect:
the stream yields ToolCallsDelta (OpenAI's delta.tool_calls items) beside text, its Completion carries the
assembled calls and finish_reason tool_calls; the results go back and the model's final text streams.
(/v1 streaming, which turns these into chat.completion.chunk events, is another branch's work.)"""
from __future__ import annotations

import json
import time

import pytest

from app.providers.base import PromptRequest
from app.providers.messages import USER, Message
from app.providers.sessions import new_session
from app.providers.stream_events import ToolCallsDelta
from app.providers.streaming import StreamLimits, open_stream
from tests.agents.conversation import TOOLS
from tests.fakes.server import FakeVendorServer
from tests.providers.cases import MODELS, adapter_for

ADDRESS_SETTING = {"openai": "base_url", "mistral": "base_url", "anthropic": "base_url", "google": "base_url",
                   "bedrock": "endpoint_url", "azure": "endpoint"}
START = [{"role": "system", "content": "Use tools."}, {"role": "user", "content": "Weather in Paris?"}]


@pytest.fixture(scope="module")
def fake():
    with FakeVendorServer() as server:
        yield server


def adapter_at(fake, vendor_key):
    suffix = "/v1" if vendor_key in ("openai", "mistral") else ""
    return adapter_for(vendor_key, **{ADDRESS_SETTING[vendor_key]: fake.url + suffix})


def request(vendor_key, messages):
    return PromptRequest("", model=MODELS[vendor_key], max_tokens=300, messages=(Message.text(USER, "x"),),
                         agent={"messages": messages, "tools": TOOLS})


def streamed(fake, vendor_key, messages):
    limits = StreamLimits(first_token_deadline=time.monotonic() + 5, max_retries=0)
    with open_stream(adapter_at(fake, vendor_key), request(vendor_key, messages), new_session(), limits) as tokens:
        deltas = list(tokens)
    return deltas, tokens.completion


@pytest.mark.parametrize("vendor_key", list(ADDRESS_SETTING))
def test_a_streamed_agent_loop(fake, vendor_key):
    deltas, completion = streamed(fake, vendor_key, START)
    calls = [d for d in deltas if isinstance(d, ToolCallsDelta)]
    assert calls and all(isinstance(item, dict) and "index" in item for d in calls for item in d.tool_calls)
    assert completion.finish_reason == "tool_calls" and completion.usage is not None
    [call] = completion.tool_calls
    assert call["id"] and call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}
    # the pieces, joined as an SDK joins them, are the call
    pieces = [item for d in calls for item in d.tool_calls]
    assert "".join(p.get("function", {}).get("arguments", "") for p in pieces) == call["function"]["arguments"]

    messages = START + [{"role": "assistant", "content": None, "tool_calls": list(completion.tool_calls)},
                        {"role": "tool", "tool_call_id": call["id"], "content": '{"temp": 12}'}]
    deltas, completion = streamed(fake, vendor_key, messages)
    assert all(isinstance(d, str) for d in deltas)
    assert "".join(deltas).startswith("Done: ") and "12" in "".join(deltas)
    assert completion.tool_calls == () and completion.finish_reason != "tool_calls"




def test_a_tool_call_delta_counts_every_character_it_passes_on():
    # what TokenStream adds to the answer's size (PROVIDER_MAX_RESPONSE_BYTES), beside text deltas:
    # ids, types, names and arguments alike
    delta = ToolCallsDelta([{"index": 0, "id": "c", "type": "function",
                             "function": {"name": "get_weather", "arguments": ""}},
                            {"index": 0, "function": {"arguments": '{"city":'}}, {"index": 1}, "junk"])
    assert delta.size == len("c") + len("function") + len("get_weather") + len('{"city":')
