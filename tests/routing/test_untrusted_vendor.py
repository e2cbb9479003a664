"""What a vendor says is untrusted input: each fault costs its own item, never the response.

One vendor misbehaves (OpenAI here), a healthy one (Anthropic) answers beside it; both the
JSON body and the event stream are checked.
"""
import math

import pytest
import responses
from prometheus_client import REGISTRY

from app.pricing.cost import price_request
from tests.routing.sse import sse_events

URL = "/api/send_prompt"
OPENAI_URL, ANTHROPIC_URL = "https://openai.test/v1/chat/completions", "https://anthropic.test/v1/messages"
SECRETS = """
openai: {api_key: sk-test-openai-0123456789, base_url: "https://openai.test/v1"}
anthropic: {api_key: sk-ant-test-key, base_url: "https://anthropic.test"}
"""
SICK, HEALTHY = "openai/gpt-6.1-sol", "anthropic/claude-haiku-4-5"
ANTHROPIC_REPLY = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude",
                   "content": [{"type": "text", "text": "Bonjour"}], "stop_reason": "end_turn",
                   "usage": {"input_tokens": 20, "output_tokens": 7}}


def openai_reply(text="Hello there, friend!", **usage):
    body = {"id": "chatcmpl-1", "object": "chat.completion", "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 5, **usage}}
    return body


def without_usage():
    body = openai_reply()
    del body["usage"]
    return body


@pytest.fixture
def app(make_app, tmp_path):
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(SECRETS)
    return make_app(SECRETS_FILE=str(secrets), PROVIDER_TIMEOUT=5.0, PROVIDER_MAX_RETRIES=0)


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.post(ANTHROPIC_URL, json=ANTHROPIC_REPLY)
        yield rsps


def items(client, stream):
    """Send to both vendors; return {id: item} from the JSON body or the stream's result events."""
    response = client.post(URL, json={"prompt": "Say hello", "model_names": [SICK, HEALTHY], "stream": stream})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    if not stream:
        return {item["id"]: item for item in response.get_json()["data"]}
    events = sse_events(response)   # JSON bodies to a stream call: each answer comes as one delta
    assert [name for name, _ in events if name != "delta"] == ["result", "result", "done"]
    return {data["id"]: data for name, data in events if name == "result"}


def healthy_is_untouched(found):
    claude = found[HEALTHY]
    assert claude["success"] and claude["response"] == "Bonjour" and claude["cost_basis"] == "billed"
    assert (claude["input_tokens"], claude["output_tokens"], claude["usage_reported"]) == (20, 7, True)


def implausible(app):
    model = app.extensions["catalog"].get(SICK)
    return model.context_window + model.max_output_tokens + 1


USAGE_FAULTS = {
    "negative counts": lambda app: openai_reply(prompt_tokens=-5, completion_tokens=-1),
    "10**30 tokens": lambda app: openai_reply(prompt_tokens=10**30, completion_tokens=10**30),
    "numbers as strings": lambda app: openai_reply(prompt_tokens="12", completion_tokens="5"),
    "floats": lambda app: openai_reply(prompt_tokens=12.5),
    "no usage block": lambda app: without_usage(),
    "beyond the context window": lambda app: openai_reply(prompt_tokens=implausible(app)),
    "negative cached part": lambda app: openai_reply(prompt_tokens_details={"cached_tokens": -3}),
    "output above max_tokens": lambda app: openai_reply(completion_tokens=60_000),
    "cached above input": lambda app: openai_reply(prompt_tokens=12, prompt_tokens_details={"cached_tokens": 13}),
}


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize("fault", list(USAGE_FAULTS))
def test_unusable_usage_keeps_the_text_and_is_estimated(app, client, mocked, fault, stream):
    mocked.post(OPENAI_URL, json=USAGE_FAULTS[fault](app))
    found = items(client, stream)
    gpt = found[SICK]
    model = app.extensions["catalog"].get(SICK)
    output = app.extensions["tokens"].count("Hello there, friend!", {model.tokenizer})[model.tokenizer].count
    assert gpt["success"] and gpt["response"] == "Hello there, friend!" and gpt["error"] is None
    assert (gpt["usage_reported"], gpt["cost_basis"]) == (False, "estimated")
    assert (gpt["input_tokens"], gpt["output_tokens"]) == (gpt["estimated_input_tokens"], output)
    assert (gpt["cached_tokens"], gpt["reasoning_tokens"]) == (0, 0)
    assert gpt["actual_cost"] == price_request(model, gpt["input_tokens"], output, 0).total_cost > 0
    healthy_is_untouched(found)


FAILING_BODIES = {
    "50 MB answer": (b'{"choices": [{"message": {"content": "' + b"x" * (50 * 1024 * 1024) + b'"}}]}',
                     "response_too_large"),
    "nested 100,000 levels": (b'{"choices": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "bad_response"),
    "not JSON": (b"<html>Welcome to nginx!</html>", "bad_response"),
    "wrong shape": (b'{"result": "ok"}', "bad_response"),
    "text is not text": (b'{"choices": [{"message": {"content": {"a": 1}}, "finish_reason": 7}]}', None),
}


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize("fault", list(FAILING_BODIES))
def test_a_body_we_cannot_use_is_that_items_error(client, mocked, fault, stream):
    body, kind = FAILING_BODIES[fault]
    mocked.post(OPENAI_URL, body=body, content_type="application/json")
    found = items(client, stream)
    gpt = found[SICK]
    if kind is None:   # readable, but nothing in it is text: an empty answer, not a crash
        assert gpt["success"] and gpt["response"] == "" and gpt["finish_reason"] is None
    else:
        assert not gpt["success"] and gpt["error"]["type"] == kind and gpt["actual_cost"] == 0.0
        assert (gpt["usage_reported"], gpt["cost_basis"], gpt["response"]) == (False, None, None)
    healthy_is_untouched(found)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_a_lone_surrogate_in_the_answer_is_replaced_not_a_500(client, mocked, stream):
    mocked.post(OPENAI_URL, body=b'{"choices": [{"message": {"content": "caf\\ud800 ok"},'
                                 b' "finish_reason": "st\\udfffop"}],'
                                 b' "usage": {"prompt_tokens": 3, "completion_tokens": 2}}',
                content_type="application/json")
    found = items(client, stream)
    assert found[SICK]["response"] == "caf\ufffd ok" and found[SICK]["finish_reason"] == "st\ufffdop"
    healthy_is_untouched(found)


def test_a_lone_surrogate_in_a_vendor_error_message_is_replaced(client, mocked):
    mocked.post(OPENAI_URL, status=400, body=b'{"error": {"message": "bad \\ud800 request"}}',
                content_type="application/json")
    found = items(client, stream=False)
    assert found[SICK]["error"]["message"] == "bad \ufffd request"
    healthy_is_untouched(found)


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_count_estimates_apart_and_stay_sane(app, client, mocked):
    labels = {"provider": "openai", "model": SICK}
    billed = ("price_runner_provider_tokens_total", dict(labels, direction="input", basis="billed"))
    estimated = ("price_runner_provider_tokens_total", dict(labels, direction="input", basis="estimated"))
    cost = ("price_runner_provider_cost_usd_total", dict(labels, basis="estimated"))
    before = [sample(name, **lbl) for name, lbl in (billed, estimated, cost)]
    mocked.post(OPENAI_URL, json=openai_reply(prompt_tokens=10**30, completion_tokens=-(10**30)))
    gpt = items(client, stream=False)[SICK]
    after = [sample(name, **lbl) for name, lbl in (billed, estimated, cost)]
    assert after[0] == before[0]                                  # nothing counted as billed
    assert after[1] - before[1] == gpt["input_tokens"] < 1000      # the estimate, not 10**30
    assert after[2] - before[2] == pytest.approx(gpt["actual_cost"]) and math.isfinite(after[2])
