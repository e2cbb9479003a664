"""OpenAI's whole request body: defaults accepted everywhere, the rest passed where the vendor can honour it."""
import json

import pytest
from sqlalchemy import select

from app.store.schema import LedgerEntry
from tests.gateway.conftest import ANTHROPIC_URL, CHAT, HI, OPENAI_URL
from tests.routing.test_send_prompt_api import openai_reply

# What the official SDK and LangChain send at their defaults, and what the client sends.
DEFAULTS = {"n": 1, "presence_penalty": 0, "frequency_penalty": 0, "logprobs": False, "logit_bias": {},
            "store": False, "metadata": {"a": "b"}, "service_tier": "auto", "stop": ["\n\n"], "seed": 7,
            "user": "u-1", "modalities": ["text"], "prediction": None, "audio": None, "verbosity": "medium",
            "web_search_options": None, "functions": None, "function_call": None, "prompt_cache_key": "k",
            "safety_identifier": "s", "top_logprobs": None}


def anthropic_reply(text="Hello!"):
    return {"id": "msg_1", "type": "message", "role": "assistant", "model": "m",
            "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
            "usage": {"input_tokens": 10, "output_tokens": 3}}


def two_choices():
    reply = openai_reply("First.", completion_tokens=8)
    logprobs = {"content": [{"token": "First", "logprob": -0.1, "bytes": [70], "top_logprobs": []}], "refusal": None}
    reply["choices"] = [{**reply["choices"][0], "logprobs": logprobs},
                        {"index": 1, "message": {"role": "assistant", "content": "Second."}, "finish_reason": "length",
                         "logprobs": logprobs}]
    return reply


def sent(mocked):
    return json.loads(mocked.calls[-1].request.body)


def test_defaults_are_accepted_on_a_vendor_that_has_none_of_them(client, mocked):
    mocked.post(ANTHROPIC_URL, json=anthropic_reply())
    response = client.post(CHAT, json={"model": "anthropic/claude-haiku-5-5", "messages": HI, **DEFAULTS})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["choices"][0]["message"]["content"] == "Hello!"
    body = sent(mocked)
    assert body["stop_sequences"] == ["\n\n"]
    # seed is best effort (Anthropic has none); metadata, store, user... never leave the service.
    assert not {"seed", "metadata", "store", "user", "n", "service_tier", "logprobs"} & set(body)


def test_defaults_send_nothing_extra_to_openai(client, mocked):
    mocked.post(OPENAI_URL, json=openai_reply())
    assert client.post(CHAT, json={"model": "openai/gpt-6-luna", "messages": HI, **DEFAULTS}).status_code == 200
    body = sent(mocked)
    assert (body["stop"], body["seed"]) == (["\n\n"], 7)
    assert not {"n", "presence_penalty", "frequency_penalty", "logprobs", "logit_bias", "metadata", "store",
                "user", "service_tier", "modalities"} & set(body)


def test_non_defaults_pass_to_openai_and_n_choices_come_back(client, mocked):
    mocked.post(OPENAI_URL, json=two_choices())
    response = client.post(CHAT, json={
        "model": "openai/gpt-6-luna", "messages": HI, "n": 2, "presence_penalty": 0.5, "frequency_penalty": -0.5,
        "logit_bias": {"50256": -100}, "logprobs": True, "top_logprobs": 2})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = sent(mocked)
    assert {k: body[k] for k in ("n", "presence_penalty", "frequency_penalty", "logit_bias", "logprobs",
                                 "top_logprobs")} == {"n": 2, "presence_penalty": 0.5, "frequency_penalty": -0.5,
                                                      "logit_bias": {"50256": -100}, "logprobs": True,
                                                      "top_logprobs": 2}
    reply = response.get_json()
    assert [(c["index"], c["message"]["content"], c["finish_reason"]) for c in reply["choices"]] == [
        (0, "First.", "stop"), (1, "Second.", "length")]
    assert reply["choices"][1]["logprobs"]["content"][0]["token"] == "First"
    assert reply["usage"]["completion_tokens"] == 8   # the vendor's count covers both choices


def test_a_name_served_by_several_providers_keeps_those_that_can_honour_n(client, mocked):
    # gpt-6-luna: OpenAI and Azure both return several choices; Anthropic names none of them.
    mocked.post(OPENAI_URL, json=two_choices())
    response = client.post(CHAT, json={"model": "gpt-6-luna", "messages": HI, "n": 2})
    assert response.status_code == 200 and len(response.get_json()["choices"]) == 2


def test_n_holds_and_bills_n_answers(gateway_app, mocked):
    from tests.spend.test_budgets_api import hold_for
    probe = gateway_app()
    one = hold_for(probe, "openai/gpt-6-luna", 1000, prompt="Say hello")
    app = gateway_app(BUDGET_DAILY_USD=str(one * 3 / 2))   # room for one answer's worst case, not two
    client = app.test_client()
    mocked.post(OPENAI_URL, json=two_choices())
    body = {"model": "openai/gpt-6-luna", "messages": HI, "max_tokens": 1000}
    assert client.post(CHAT, json={**body, "n": 2}).status_code == 402
    assert client.post(CHAT, json=body).status_code == 200
    with app.extensions["store"].engine.connect() as conn:
        rows = conn.execute(select(LedgerEntry.outcome, LedgerEntry.output_tokens)).all()
    assert sorted(rows, key=str) == [("ok", 8), ("refused", None)]


def test_without_the_vendors_usage_every_choice_is_counted(client, mocked):
    reply = two_choices()
    del reply["usage"]
    mocked.post(OPENAI_URL, json=reply)
    both = client.post(CHAT, json={"model": "openai/gpt-6-luna", "messages": HI, "n": 2}).get_json()
    reply["choices"] = reply["choices"][:1]
    mocked.post(OPENAI_URL, json=reply)
    one = client.post(CHAT, json={"model": "openai/gpt-6-luna", "messages": HI}).get_json()
    assert both["usage"]["completion_tokens"] > one["usage"]["completion_tokens"] > 0


@pytest.mark.parametrize("extra", [{"n": 2}, {"presence_penalty": 1.0}])
def test_the_answer_cache_key_holds_the_sampling_parameters(extra):
    from app.providers.base import PromptRequest
    from app.routing.answer_cache import AnswerCache, MemoryBackend
    cache = AnswerCache(MemoryBackend(1 << 20, 60), 60)
    plain = PromptRequest("hi", model="m")
    assert cache.key("openai", plain, "a") != cache.key("openai", PromptRequest("hi", model="m", **extra), "a")
    # A request that sets none of them keeps the key it had before they existed.
    assert cache.key("openai", plain, "a") == cache.key("openai", PromptRequest("hi", model="m", n=1), "a")


def two_choice_stream():
    """A chat-completions stream of two interleaved choices, each with its finish, then usage."""
    def chunk(index, delta, reason=None):
        body = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
                "choices": [{"index": index, "delta": delta, "finish_reason": reason}]}
        return f"data: {json.dumps(body)}\n\n"
    usage = {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21}
    return (chunk(0, {"content": "First "}) + chunk(1, {"content": "Second "}) + chunk(0, {"content": "one."})
            + chunk(1, {"content": "two."}) + chunk(1, {}, "length") + chunk(0, {}, "stop")
            + f"data: {json.dumps({'choices': [], 'usage': usage})}\n\ndata: [DONE]\n\n")


def test_a_stream_of_n_choices_where_the_dialect_streams_them(client, mocked):
    from tests.gateway.test_chat_stream import events
    mocked.post(OPENAI_URL, body=two_choice_stream(), content_type="text/event-stream")
    response = client.post(CHAT, json={"model": "openai/gpt-6-luna", "messages": HI, "n": 2, "stream": True,
                                       "stream_options": {"include_usage": True}})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert sent(mocked)["n"] == 2
    found = [e for e in events(response) if isinstance(e, dict)]
    texts, finishes = {0: "", 1: ""}, {}
    for event in found:
        for choice in event.get("choices") or ():
            texts[choice["index"]] += choice["delta"].get("content") or ""
            if choice["finish_reason"]:
                finishes[choice["index"]] = choice["finish_reason"]
    assert texts == {0: "First one.", 1: "Second two."} and finishes == {0: "stop", 1: "length"}
    assert found[-1]["usage"]["completion_tokens"] == 9 and found[-1]["price_runner"]["cost"] > 0


def test_a_stream_of_n_choices_is_a_400_where_the_dialect_streams_one(client):
    # Anthropic returns one choice at all; n with stream on a dialect whose stream carries one is refused too.
    response = client.post(CHAT, json={"model": "anthropic/claude-haiku-5-5", "messages": HI, "n": 2, "stream": True})
    assert response.status_code == 400 and response.get_json()["error"]["param"] == "n"


def test_the_gemini_adapter_refuses_n_only_when_streamed():
    from tests.providers.cases import adapter_for, prompt_for
    gemini = adapter_for("google")
    assert gemini.unsupported(prompt_for("google", n=2)) is None
    assert gemini.unsupported(prompt_for("google", n=2, streamed=True)) == "n"
    assert adapter_for("openai").unsupported(prompt_for("openai", n=2, streamed=True)) is None


def test_a_recorded_completion_of_n_choices_replays_every_choice():
    from app.gateway.chunks import replayed
    completion = {"id": "chatcmpl-9", "created": 3, "model": "openai/gpt-6-luna", "price_runner": {"cost": 0.5},
                  "usage": {"prompt_tokens": 1}, "choices": [
                      {"index": 0, "message": {"content": "A"}, "finish_reason": "stop"},
                      {"index": 1, "message": {"content": "B"}, "finish_reason": "length"}]}
    found = [json.loads(raw[len(b"data: "):]) for raw in replayed(completion, False) if raw != b"data: [DONE]\n\n"]
    contents = [(c["index"], c["delta"].get("content"), c["finish_reason"]) for e in found for c in e["choices"]]
    assert contents == [(0, "", None), (0, "A", None), (0, None, "stop"), (1, "", None), (1, "B", None),
                        (1, None, "length")]
    assert "price_runner" in found[-1] and all("price_runner" not in e for e in found[:-1])
