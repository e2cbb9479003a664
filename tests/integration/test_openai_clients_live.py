"""Clients as they are: the official openai SDK and LangChain's ChatOpenAI, each with its own defaults,
against /v1 under real gunicorn, every vendor dialect served by the fake in its own format."""
import json

import openai
import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_openai import ChatOpenAI

from tests.integration.servers import gunicorn
from tests.integration.test_send_prompt_live import secrets_for

pytestmark = pytest.mark.integration
KEY = "sdk-clients-key-0123456789"
# One model per dialect (openai_chat twice: OpenAI itself and a compatible vendor).
DIALECTS = ["openai/gpt-6-luna", "groq/llama-3.1-8b", "azure/gpt-6-luna", "anthropic/claude-haiku-5-5",
            "google/gemini-3.8-flash", "bedrock/claude-haiku-5-5"]
HELLO = [{"role": "user", "content": "Say hello to the client"}]
# The client: defaults OpenAI accepts, and stop and seed set.
AS_SENT = dict(n=1, presence_penalty=0, frequency_penalty=0, logprobs=False, logit_bias={}, store=False,
               metadata={"a": "b"}, service_tier="auto", stop=["\n\n"], seed=7)
# Where each dialect's body keeps the stop sequences.
STOP_FIELD = {"openai": ("stop",), "anthropic": ("stop_sequences",), "gemini": ("generationConfig", "stopSequences"),
              "bedrock": ("inferenceConfig", "stopSequences")}
WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "The weather in a city.",
                                            "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                           "required": ["city"]}}}


@pytest.fixture(scope="module")
def service(fake, tmp_path_factory, encodings_dir):
    folder = tmp_path_factory.mktemp("sdk-clients")
    (folder / "secrets.yaml").write_text(secrets_for(fake.url))
    with gunicorn(SECRETS_FILE=str(folder / "secrets.yaml"), TIKTOKEN_CACHE_DIR=str(encodings_dir),
                  WEB_CONCURRENCY="1", AUTH_MODE="api_key", API_KEYS=f"main:{KEY}",
                  PROVIDER_MAX_RETRIES="0") as (base, _):
        yield base


def sdk(base):
    return openai.OpenAI(base_url=f"{base}/v1", api_key=KEY, max_retries=0, timeout=20)


def last_body(fake, dialect_path):
    return next(r for r in reversed(fake.requests) if dialect_path in r.path).json()


def dig(body, path):
    for step in path:
        body = body[step]
    return body


@pytest.mark.parametrize("model", DIALECTS)
def test_the_sdk_with_every_default_and_stop_and_seed_gets_answers(service, fake, model):
    completion = sdk(service).chat.completions.create(model=model, messages=HELLO, max_tokens=40, **AS_SENT)
    assert completion.model == model and len(completion.choices) == 1
    assert "hello" in completion.choices[0].message.content.lower()
    dialect, path = {"anthropic": ("anthropic", "/v1/messages"), "google": ("gemini", "generateContent"),
                     "bedrock": ("bedrock", "/converse")}.get(model.split("/")[0], ("openai", "chat/completions"))
    body = last_body(fake, path)
    assert dig(body, STOP_FIELD[dialect]) == ["\n\n"]
    assert not {"metadata", "store", "service_tier", "logit_bias", "n", "logprobs"} & set(body)


@pytest.mark.parametrize("model, parameter, value", [
    ("anthropic/claude-haiku-5-5", "presence_penalty", 0.5), ("bedrock/claude-haiku-5-5", "logprobs", True),
    ("groq/llama-3.1-8b", "n", 2), ("google/gemini-3.8-flash", "logit_bias", {"1": 5})])
def test_a_non_default_the_vendor_cannot_honour_is_a_400_naming_it(service, model, parameter, value):
    with pytest.raises(openai.BadRequestError) as caught:
        sdk(service).chat.completions.create(model=model, messages=HELLO, **{parameter: value})
    assert caught.value.param == parameter and caught.value.code == "unsupported_parameter"


@pytest.mark.parametrize("model", ["openai/gpt-6-luna", "google/gemini-3.8-flash"])
def test_n_choices_where_the_vendor_returns_several(service, model):
    completion = sdk(service).chat.completions.create(model=model, messages=HELLO, max_tokens=40, n=3)
    assert [choice.index for choice in completion.choices] == [0, 1, 2]
    assert len({choice.message.content for choice in completion.choices}) == 3


def test_a_streamed_n_choices_where_the_dialect_streams_them(service):
    texts, finishes = {}, {}
    with sdk(service).chat.completions.create(model="openai/gpt-6-luna", messages=HELLO, max_tokens=40, n=2,
                                              stream=True, stream_options={"include_usage": True}) as stream:
        for chunk in stream:
            for choice in chunk.choices:
                texts[choice.index] = texts.get(choice.index, "") + (choice.delta.content or "")
                finishes[choice.index] = choice.finish_reason or finishes.get(choice.index)
            usage = chunk.usage or None
    assert set(texts) == {0, 1} and texts[0] != texts[1] and "hello" in texts[1].lower()
    assert finishes == {0: "stop", 1: "stop"} and usage.completion_tokens > 0
    with pytest.raises(openai.BadRequestError) as caught:   # Gemini's stream carries one candidate
        sdk(service).chat.completions.create(model="google/gemini-3.8-flash", messages=HELLO, n=2, stream=True)
    assert caught.value.param == "n"


def chat(service, model="openai/gpt-6-luna", **options):
    return ChatOpenAI(model=model, base_url=f"{service}/v1", api_key=KEY, max_retries=0, timeout=20, **options)


@pytest.mark.parametrize("model", ["openai/gpt-6-luna", "anthropic/claude-haiku-5-5"])
def test_langchain_invoke(service, model):
    answer = chat(service, model).invoke("Say hello to LangChain")
    assert "hello" in answer.content.lower() and answer.usage_metadata["output_tokens"] > 0
    assert answer.response_metadata["model_name"] == model


@pytest.mark.parametrize("model", ["openai/gpt-6-luna", "google/gemini-3.8-flash"])
def test_langchain_stream(service, model):
    chunks = list(chat(service, model, stream_usage=True).stream("Say hello to a stream"))
    assert len([c for c in chunks if c.content]) > 1
    whole = sum(chunks[1:], chunks[0])
    assert "hello" in whole.content.lower() and whole.usage_metadata["output_tokens"] > 0


@pytest.mark.parametrize("model", ["openai/gpt-6-luna", "anthropic/claude-haiku-5-5", "bedrock/claude-haiku-5-5"])
def test_langchain_tool_calling(service, model):
    bound = chat(service, model).bind_tools([WEATHER])
    question = HumanMessage("Weather in Paris?")
    first = bound.invoke([question])
    [call] = first.tool_calls
    assert call["name"] == "get_weather" and call["args"] == {"city": "Paris"}
    second = bound.invoke([question, first, ToolMessage(json.dumps({"temp": 12}), tool_call_id=call["id"])])
    assert isinstance(second, AIMessage) and not second.tool_calls and "12" in second.content


def test_models_retrieve_answers_every_name_chat_accepts(service):
    import requests
    client = sdk(service)
    listed = list(client.models.list())
    catalog = requests.get(f"{service}/api/models", headers={"X-API-Key": KEY}, timeout=5).json()["data"]
    names = {m["model_name"] for m in catalog if m["id"] in {entry.id for entry in listed}}
    for entry in listed:
        extra = entry.model_extra
        assert entry.created > 0 and extra["context_length"] > 0 and set(extra["pricing"]) >= {"prompt", "completion"}
    for name in sorted(names | {entry.id for entry in listed}):
        retrieved = client.models.retrieve(name)
        assert retrieved.id == name and retrieved.created > 0
        client.chat.completions.create(model=name, messages=HELLO, max_tokens=5)   # chat accepts it too
