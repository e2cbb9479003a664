"""An agent loop with the official openai SDK against /v1 under real gunicorn, on every vendor dialect
(the fake vendors answer a request offering tools with a tool call in their own format, and a turn
carrying results with ``Done: <results>``): the model asks for a tool, the test answers, the model finishes.
Streamed too: the tool call arrives as ``delta.tool_calls`` chunks (needs main's /v1 streaming,
merged after this branch; the TokenStream level is tested in tests/providers/test_agent_streaming.py)."""
import csv
import json
from pathlib import Path

import openai
import pytest

from tests.agents.conversation import TOOLS
from tests.integration.servers import gunicorn
from tests.integration.test_send_prompt_live import secrets_for

pytestmark = pytest.mark.integration
KEY = "sdk-agents-key-0123456789"
# One model per dialect (openai_chat twice: OpenAI itself and a compatible vendor).
DIALECTS = ["openai/gpt-6-luna", "groq/llama-3.1-8b", "azure/gpt-6-luna", "anthropic/claude-haiku-5-5",
            "google/gemini-3.8-flash", "bedrock/claude-haiku-5-5"]
START = [{"role": "system", "content": "Use the tools."}, {"role": "user", "content": "Weather in Paris?"}]


@pytest.fixture(scope="module")
def service(fake, tmp_path_factory, encodings_dir):
    folder = tmp_path_factory.mktemp("sdk-agents")
    (folder / "secrets.yaml").write_text(secrets_for(fake.url))
    with gunicorn(SECRETS_FILE=str(folder / "secrets.yaml"), TIKTOKEN_CACHE_DIR=str(encodings_dir),
                  WEB_CONCURRENCY="1", AUTH_MODE="api_key", API_KEYS=f"main:{KEY}",
                  PROVIDER_MAX_RETRIES="0") as (base, _):
        yield base


def sdk(base):
    return openai.OpenAI(base_url=f"{base}/v1", api_key=KEY, max_retries=0, timeout=20)


@pytest.mark.parametrize("model", DIALECTS)
def test_agent_loop_on_every_dialect(service, fake, model):
    client = sdk(service)
    first = client.chat.completions.create(model=model, messages=START, tools=TOOLS, max_tokens=200)
    choice = first.choices[0]
    assert first.model == model and choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls
    assert call.type == "function" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    assert first.usage.completion_tokens > 0 and first.model_extra["price_runner"]["cost"] > 0
    messages = START + [choice.message.model_dump(exclude_none=True),
                        {"role": "tool", "tool_call_id": call.id, "content": '{"temp": 12}'}]
    second = client.chat.completions.create(model=model, messages=messages, tools=TOOLS, max_tokens=200)
    final = second.choices[0]
    assert final.finish_reason == "stop" and not final.message.tool_calls
    assert final.message.content.startswith("Done: ") and "12" in final.message.content


def streamed(client, model, messages):
    """Stream one turn; return (text, tool calls joined as the SDK's own helpers join them, finish_reason)."""
    text, calls, finish = "", {}, None
    for chunk in client.chat.completions.create(model=model, messages=messages, tools=TOOLS, max_tokens=200,
                                                stream=True, stream_options={"include_usage": True}):
        if not chunk.choices:
            assert chunk.usage.completion_tokens > 0
            continue
        delta = chunk.choices[0].delta
        text += delta.content or ""
        for piece in delta.tool_calls or []:
            call = calls.setdefault(piece.index, {"id": "", "type": "function",
                                                  "function": {"name": "", "arguments": ""}})
            call["id"] = piece.id or call["id"]
            if piece.function:
                call["function"]["name"] = piece.function.name or call["function"]["name"]
                call["function"]["arguments"] += piece.function.arguments or ""
        finish = chunk.choices[0].finish_reason or finish
    return text, [calls[i] for i in sorted(calls)], finish


@pytest.mark.parametrize("model", DIALECTS)
def test_streamed_agent_loop_on_every_dialect(service, fake, model):
    client = sdk(service)
    text, calls, finish = streamed(client, model, START)
    assert finish == "tool_calls" and len(calls) == 1
    [call] = calls
    assert call["id"] and call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}
    messages = START + [{"role": "assistant", "content": text or None, "tool_calls": calls},
                        {"role": "tool", "tool_call_id": call["id"], "content": '{"temp": 12}'}]
    text, calls, finish = streamed(client, model, messages)
    assert finish == "stop" and calls == [] and text.startswith("Done: ") and "12" in text


def test_a_named_function_is_forced(service, fake):
    completion = sdk(service).chat.completions.create(
        model="anthropic/claude-haiku-5-5", messages=START, tools=TOOLS, max_tokens=200,
        tool_choice={"type": "function", "function": {"name": "get_time"}})
    assert completion.choices[0].message.tool_calls[0].function.name == "get_time"


def test_auto_serves_tools_from_a_model_documented_to_have_them(service, fake):
    with open(Path(__file__).resolve().parents[2] / "capabilities.csv", encoding="utf-8") as handle:
        capabilities = {row["model_name"]: row["tools"] for row in csv.DictReader(handle)}
    completion = sdk(service).chat.completions.create(model="auto", messages=START, tools=TOOLS, max_tokens=200)
    assert completion.choices[0].finish_reason == "tool_calls"
    assert capabilities[completion.model.split("/", 1)[1]] == "true"


def test_a_refusal_is_a_bad_request_naming_the_parameter(service, fake):
    with pytest.raises(openai.BadRequestError) as caught:
        sdk(service).chat.completions.create(model="anthropic/claude-haiku-5-5", messages=START,
                                             response_format={"type": "json_object"})
    assert caught.value.param == "response_format" and caught.value.code == "unsupported_parameter"
