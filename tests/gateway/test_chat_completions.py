"""POST /v1/chat/completions through the real router and adapters, vendors mocked with `responses`."""
import json

import pytest

from tests.gateway.conftest import ANTHROPIC_URL, AZURE_URL, CHAT, HI, OPENAI_URL
from tests.routing.test_send_prompt_api import ANTHROPIC_REPLY, openai_reply


def chat(client, expect=200, headers=None, **body):
    response = client.post(CHAT, json={"messages": HI, **body}, headers=headers or {})
    assert response.status_code == expect, response.get_data(as_text=True)
    return response


def test_a_catalog_id_answers_in_openai_format_with_usage_and_cost(client, mocked):
    mocked.post(OPENAI_URL, json=openai_reply("Bonjour", prompt_tokens=1000, completion_tokens=100, cached=200))
    response = chat(client, model="openai/gpt-6.1-sol", max_tokens=100)   # more output would be implausible
    reply = response.get_json()
    assert reply["object"] == "chat.completion" and reply["model"] == "openai/gpt-6.1-sol"
    assert reply["choices"] == [{"index": 0, "message": {"role": "assistant", "content": "Bonjour", "refusal": None},
                                 "logprobs": None, "finish_reason": "stop"}]
    assert reply["usage"] == {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100,
                              "prompt_tokens_details": {"cached_tokens": 200},
                              "completion_tokens_details": {"reasoning_tokens": 0}}
    # gpt-6.1-sol: $2 in, $0.10 cached, $10 out per million: 800*2 + 200*0.1 + 100*10 = 2620 per million.
    served = reply["price_runner"]
    assert served["cost"] == pytest.approx(0.00262) and served["model"] == "openai/gpt-6.1-sol"
    assert served["attempts"] == [{"model": "openai/gpt-6.1-sol", "provider": "openai", "error": None,
                                   "cost": served["cost"]}]
    assert response.headers["X-Price-Runner-Model"] == "openai/gpt-6.1-sol"
    assert response.headers["X-Price-Runner-Cost"] == "0.00262"
    sent = json.loads(mocked.calls[0].request.body)
    assert sent["messages"] == [{"role": "user", "content": "Say hello"}] and sent["max_completion_tokens"] == 100


def test_parameters_and_developer_messages_reach_the_vendor(client, mocked):
    mocked.post(ANTHROPIC_URL, json=ANTHROPIC_REPLY)
    messages = [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello."},
                {"role": "user", "content": [{"type": "text", "text": "Again"}]}]
    reply = chat(client, model="anthropic/claude-haiku-5-5", messages=messages, max_completion_tokens=30,
                 temperature=0.5, top_p=0.9, stop="END").get_json()
    assert reply["choices"][0]["finish_reason"] == "stop"   # Anthropic's end_turn
    sent = json.loads(mocked.calls[0].request.body)
    assert sent["system"] == "Be brief." and [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]
    assert (sent["max_tokens"], sent["temperature"], sent["top_p"], sent["stop_sequences"]) == (30, 0.5, 0.9, ["END"])


def test_a_name_served_by_several_providers_goes_to_the_cheapest(client, mocked):
    # gpt-6-luna: OpenAI and Azure at the same price; the tie goes by id (azure/ first), the other is the fallback.
    mocked.post(AZURE_URL.format("gpt-6-luna"), status=503, json={"error": {"message": "busy"}})
    mocked.post(OPENAI_URL, json=openai_reply())
    reply = chat(client, model="gpt-6-luna").get_json()
    assert [a["model"] for a in reply["price_runner"]["attempts"]] == ["azure/gpt-6-luna", "openai/gpt-6-luna"]
    assert reply["price_runner"]["attempts"][0]["error"]["status"] == 503


def test_explicit_fallbacks_in_order_after_a_500(client, mocked):
    mocked.post(ANTHROPIC_URL, status=500, json={"type": "error", "error": {"type": "api_error", "message": "boom"}})
    mocked.post(OPENAI_URL, json=openai_reply("from openai"))
    response = chat(client, model="anthropic/claude-haiku-5-5", models=["openai/gpt-6-luna", "openai/gpt-6.1-sol"])
    reply = response.get_json()
    assert reply["choices"][0]["message"]["content"] == "from openai"
    assert [(a["model"], (a["error"] or {}).get("status")) for a in reply["price_runner"]["attempts"]] == [
        ("anthropic/claude-haiku-5-5", 500), ("openai/gpt-6-luna", None)]
    assert reply["price_runner"]["model"] == response.headers["X-Price-Runner-Model"] == "openai/gpt-6-luna"
    assert len(mocked.calls) == 2


def test_a_request_error_from_the_vendor_is_not_retried(client, mocked):
    mocked.post(ANTHROPIC_URL, status=400, json={"type": "error", "error": {"type": "invalid_request_error",
                                                                              "message": "prompt too long"}})
    mocked.post(OPENAI_URL, json=openai_reply())
    body = chat(client, 400, model="anthropic/claude-haiku-5-5", models=["openai/gpt-6-luna"]).get_json()
    assert body["error"]["type"] == "invalid_request_error" and "prompt too long" in body["error"]["message"]
    assert body["error"]["code"] == "vendor_rejected_request" and len(mocked.calls) == 1
    assert body["price_runner"]["attempts"][0]["error"]["status"] == 400


def test_every_candidate_failing_is_a_502_listing_the_attempts(client, mocked):
    mocked.post(ANTHROPIC_URL, status=529, json={"type": "error", "error": {"type": "overloaded_error",
                                                                              "message": "overloaded"}})
    mocked.post(OPENAI_URL, status=500, json={"error": {"message": "down"}})
    response = chat(client, 502, model="anthropic/claude-haiku-5-5", models=["openai/gpt-6-luna"])
    body = response.get_json()
    assert body["error"]["type"] == "server_error" and body["error"]["code"] == "vendor_error"
    assert [a["model"] for a in body["price_runner"]["attempts"]] == ["anthropic/claude-haiku-5-5", "openai/gpt-6-luna"]
    assert response.headers["X-Price-Runner-Cost"] == "0"


def test_a_vendor_429_after_every_fallback_is_a_429(client, mocked):
    mocked.post(OPENAI_URL, status=429, json={"error": {"message": "slow down"}}, headers={"Retry-After": "7"})
    response = chat(client, 429, model="openai/gpt-6-luna")
    assert response.get_json()["error"]["type"] == "rate_limit_error"
    assert response.headers["Retry-After"] == "7"


def test_idempotency_key_replays_the_same_reply_without_calling(client, mocked):
    mocked.post(OPENAI_URL, json=openai_reply())
    first = chat(client, model="openai/gpt-6-luna", headers={"Idempotency-Key": "k-1"})
    again = chat(client, model="openai/gpt-6-luna", headers={"Idempotency-Key": "k-1"})
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["X-Price-Runner-Cost"] == first.headers["X-Price-Runner-Cost"]
    assert len(mocked.calls) == 1
    other = client.post(CHAT, json={"messages": HI, "model": "openai/gpt-6.1-sol"}, headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 422 and other.get_json()["error"]["type"] == "invalid_request_error"


def test_a_failed_request_frees_its_idempotency_key(client, mocked):
    mocked.post(OPENAI_URL, status=500, json={"error": {"message": "down"}})
    chat(client, 502, model="openai/gpt-6-luna", headers={"Idempotency-Key": "k-2"})
    mocked.replace("POST", OPENAI_URL, json=openai_reply())
    assert chat(client, model="openai/gpt-6-luna", headers={"Idempotency-Key": "k-2"}).get_json()["choices"]


def test_every_attempt_is_in_the_ledger(gateway_app, mocked):
    app = gateway_app()
    mocked.post(ANTHROPIC_URL, status=500, json={"type": "error", "error": {"type": "api_error", "message": "boom"}})
    mocked.post(OPENAI_URL, json=openai_reply())
    client = app.test_client()
    chat(client, model="anthropic/claude-haiku-5-5", models=["openai/gpt-6-luna"])
    usage = client.get("/api/usage?group_by=model").get_json()["data"]
    assert {row["key"]: row["calls"] for row in usage} == {"anthropic/claude-haiku-5-5": 1, "openai/gpt-6-luna": 1}


def test_a_budget_refusal_is_402_insufficient_quota(gateway_app, mocked):
    client = gateway_app(BUDGET_DAILY_USD="0.0000001").test_client()
    body = chat(client, 402, model="openai/gpt-6.1-sol").get_json()
    assert body["error"]["type"] == "insufficient_quota" and body["error"]["code"] == "insufficient_quota"
    assert "Budget exceeded" in body["error"]["message"] and not mocked.calls
