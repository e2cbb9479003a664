"""The official openai SDK streaming from /v1 under real gunicorn, every vendor dialect served by the fake."""
import time

import openai
import pytest
import requests

from tests.integration.test_openai_sdk_live import DIALECTS, HELLO, KEY, bedrock_id, sdk
from tests.integration.test_openai_sdk_live import service  # noqa: F401 (the module's gunicorn)

pytestmark = pytest.mark.integration
USAGE = {"include_usage": True}


def api_model(base, model_id):
    models = requests.get(f"{base}/api/models", headers={"X-API-Key": KEY}, timeout=5).json()["data"]
    return next(m["api_model"] for m in models if m["id"] == model_id)


def text_of(chunks):
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


@pytest.mark.parametrize("model", DIALECTS + ["bedrock"])
def test_streaming_with_include_usage_on_every_dialect(service, fake, model):  # noqa: F811
    model = bedrock_id(service) if model == "bedrock" else model
    raw = sdk(service).chat.completions.with_raw_response.create(model=model, messages=HELLO, max_tokens=40,
                                                                 stream=True, stream_options=USAGE)
    assert raw.headers["X-Price-Runner-Model"] == model and "X-Price-Runner-Cost" not in raw.headers
    chunks = list(raw.parse())
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "hello" in text_of(chunks).lower() and len([c for c in chunks if c.choices]) > 3   # word by word
    assert {c.model for c in chunks} == {model} and len({c.id for c in chunks}) == 1
    finish, last = chunks[-2], chunks[-1]
    assert finish.choices[0].finish_reason == "stop" and "price_runner" not in (finish.model_extra or {})
    assert last.choices == [] and last.usage.prompt_tokens > 0 and last.usage.completion_tokens > 0
    served = last.model_extra["price_runner"]
    assert served["model"] == model and served["cost"] > 0 and len(served["attempts"]) == 1


def test_without_include_usage_price_runner_is_on_the_finish_chunk(service, fake):  # noqa: F811
    chunks = list(sdk(service).chat.completions.create(model="openai/gpt-6-luna", messages=HELLO, stream=True))
    finish = chunks[-1]
    assert finish.choices[0].finish_reason == "stop" and all(c.usage is None for c in chunks)
    assert finish.model_extra["price_runner"]["model"] == "openai/gpt-6-luna"
    assert finish.model_extra["price_runner"]["cost"] > 0


def test_a_500_before_the_first_token_falls_back_and_the_client_sees_one_model(service, fake):  # noqa: F811
    fake.behave("claude-haiku-5-5", status=500)
    try:
        raw = sdk(service).chat.completions.with_raw_response.create(
            model="anthropic/claude-haiku-5-5", messages=HELLO, stream=True, stream_options=USAGE,
            extra_body={"models": ["openai/gpt-6-luna"]})
        chunks = list(raw.parse())
    finally:
        fake.reset()
    assert raw.headers["X-Price-Runner-Model"] == "openai/gpt-6-luna"
    assert {c.model for c in chunks} == {"openai/gpt-6-luna"} and "hello" in text_of(chunks).lower()
    attempts = chunks[-1].model_extra["price_runner"]["attempts"]
    assert [(a["model"], (a["error"] or {}).get("status")) for a in attempts] == [
        ("anthropic/claude-haiku-5-5", 500), ("openai/gpt-6-luna", None)]


def test_a_failure_after_tokens_raises_in_the_sdk_after_the_text(service, fake):  # noqa: F811
    fake.behave(api_model(service, "openai/gpt-6-luna"), text="one two three four five six", tick=0.05,
                error_after=4)
    received = []
    try:
        with pytest.raises(openai.APIError) as raised:
            for chunk in sdk(service).chat.completions.create(
                    model="openai/gpt-6-luna", messages=HELLO, stream=True,
                    extra_body={"models": ["anthropic/claude-haiku-5-5"]}):
                received.append(chunk)
    finally:
        fake.reset()
    assert text_of(received).startswith("one") and "failed mid-stream" in raised.value.message
    assert raised.value.body["type"] == "server_error"
    assert not any(r.path.startswith("/v1/messages") for r in fake.requests)   # not retried elsewhere


def test_every_candidate_failing_before_a_token_is_the_usual_sdk_error(service, fake):  # noqa: F811
    fake.behave(api_model(service, "openai/gpt-6-luna"), status=429)
    try:
        with pytest.raises(openai.RateLimitError):
            sdk(service).chat.completions.create(model="openai/gpt-6-luna", messages=HELLO, stream=True)
    finally:
        fake.reset()


def test_auto_streams_the_cheapest_model_that_meets_the_bar(service, fake):  # noqa: F811
    completion = sdk(service).chat.completions.create(
        model="auto", messages=HELLO, max_tokens=40,
        extra_body={"price_runner": {"min_quality": {"benchmark": "mmlu_pro", "score": 70}}})
    chunks = list(sdk(service).chat.completions.create(
        model="auto", messages=HELLO, max_tokens=40, stream=True, stream_options=USAGE,
        extra_body={"price_runner": {"min_quality": {"benchmark": "mmlu_pro", "score": 70}}}))
    assert chunks[-1].model_extra["price_runner"]["model"] == completion.model == chunks[0].model
    assert text_of(chunks) == completion.choices[0].message.content


def test_tokens_reach_the_sdk_as_the_vendor_sends_them(service, fake):  # noqa: F811
    fake.behave(api_model(service, "openai/gpt-6-luna"), text="one two three four", tick=0.3)
    arrivals = []
    try:
        started = time.monotonic()
        for chunk in sdk(service).chat.completions.create(model="openai/gpt-6-luna", messages=HELLO, stream=True):
            if chunk.choices and chunk.choices[0].delta.content:
                arrivals.append(time.monotonic() - started)
    finally:
        fake.reset()
    assert len(arrivals) == 4
    assert min(later - earlier for earlier, later in zip(arrivals, arrivals[1:])) >= 0.2, arrivals
