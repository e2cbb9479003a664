"""model: auto, the price_runner constraints, and the fallback loop on its own."""
import json

import pytest

from app.gateway.candidates import Candidate
from app.gateway.fallback import attempt, retryable
from tests.gateway.conftest import CHAT, HI, OPENAI_URL
from tests.routing.test_send_prompt_api import openai_reply

GROQ_URL = "https://groq.test/openai/v1/chat/completions"


def auto(client, mocked, expect=200, **options):
    mocked.post(GROQ_URL, json=openai_reply())
    response = client.post(CHAT, json={"model": "auto", "messages": HI, "max_tokens": 100, **options})
    assert response.status_code == expect, response.get_data(as_text=True)
    return response.get_json()


def test_auto_is_the_cheapest_configured_model(client, mocked):
    reply = auto(client, mocked)
    ranked = client.post("/api/get_best_price_for_prompt", json={
        "prompt": "Say hello", "expected_output_tokens": 100, "only_configured": True, "limit": 1}).get_json()
    assert reply["model"] == ranked["data"][0]["id"] == "groq/llama-3.1-8b"
    assert reply["price_runner"]["estimated_cost"] == pytest.approx(ranked["data"][0]["total_cost"])


@pytest.mark.parametrize("quality, served, api_model", [
    ({"benchmark": "mmlu_pro", "score": 70}, "groq/llama-4-scout", "meta-llama/llama-4-scout-17b-16e-instruct"),
    ({"benchmark": "gpqa_diamond", "score": 75}, "groq/gpt-oss-120b", "openai/gpt-oss-120b"),
])
def test_auto_meets_a_quality_bar(client, mocked, quality, served, api_model):
    reply = auto(client, mocked, price_runner={"min_quality": quality})
    assert reply["model"] == served and json.loads(mocked.calls[0].request.body)["model"] == api_model


def test_auto_honours_providers_and_max_cost(client, mocked):
    mocked.post(OPENAI_URL, json=openai_reply())
    assert auto(client, mocked, price_runner={"providers": ["OpenAI"]})["model"].startswith("openai/")
    body = auto(client, mocked, 400, price_runner={"max_cost": 1e-12})
    assert body["error"]["param"] == "price_runner" and body["error"]["code"] == "no_model_meets_constraints"


def test_unknown_benchmark_and_provider_are_named(client, mocked):
    body = auto(client, mocked, 400, price_runner={"min_quality": {"benchmark": "vibes", "score": 1}})
    assert body["error"]["param"] == "price_runner.min_quality.benchmark"
    body = auto(client, mocked, 400, price_runner={"providers": ["acme"]})
    assert body["error"]["param"] == "price_runner.providers"


def test_auto_skips_models_that_cannot_honour_a_parameter(client, mocked):
    # presence_penalty: Anthropic has none; with only Anthropic allowed, the 400 names it.
    body = auto(client, mocked, 400, presence_penalty=0.5, price_runner={"providers": ["anthropic"]})
    assert body["error"]["param"] == "presence_penalty"
    # n = 2: Groq returns one choice; auto skips it for a vendor that returns several (OpenAI here).
    mocked.post(OPENAI_URL, json=openai_reply())
    reply = client.post(CHAT, json={"model": "auto", "messages": HI, "max_tokens": 100, "n": 2})
    assert reply.status_code == 200 and reply.get_json()["price_runner"]["provider"] != "groq"


def test_auto_falls_back_along_the_ranking(client, mocked):
    mocked.post(GROQ_URL, status=503, json={"error": {"message": "over capacity"}})
    mocked.post(GROQ_URL, json=openai_reply())
    reply = client.post(CHAT, json={"model": "auto", "messages": HI, "max_tokens": 100}).get_json()
    ranked = client.post("/api/get_best_price_for_prompt", json={
        "prompt": "Say hello", "expected_output_tokens": 100, "only_configured": True, "limit": 2}).get_json()
    assert [a["model"] for a in reply["price_runner"]["attempts"]] == [item["id"] for item in ranked["data"]]


# The loop itself.
def candidates(*names):
    return [Candidate(type("M", (), {"id": name})(), 0.0) for name in names]


def item(ok=True, status=None, kind="http_error"):
    return {"success": ok, "error": None if ok else {"type": kind, "status": status}, "actual_cost": 0.0}


@pytest.mark.parametrize("error, again", [
    ({"type": "http_error", "status": 500}, True), ({"type": "http_error", "status": 429}, True),
    ({"type": "timeout", "status": None}, True), ({"type": "connection_error", "status": None}, True),
    ({"type": "vendor_busy", "status": None}, True), ({"type": "http_error", "status": 400}, False),
    ({"type": "http_error", "status": 401}, False), ({"type": "bad_response", "status": None}, False),
])
def test_what_is_retryable(error, again):
    assert retryable(error) is again


def test_the_loop_stops_at_success_a_final_failure_or_the_deadline():
    outcomes = {"a": item(False, 502), "b": item(False, 400), "c": item()}
    seen = []

    def call(candidate, left, earlier):
        seen.append((candidate.model.id, len(earlier)))
        return outcomes[candidate.model.id]

    assert [a.candidate.model.id for a in attempt(candidates("a", "b", "c"), call, 100, clock=lambda: 0)] == ["a", "b"]
    assert seen == [("a", 0), ("b", 1)]
    outcomes["b"] = item(False, 503)
    assert [a.ok for a in attempt(candidates("a", "b", "c"), call, 100, clock=lambda: 0)] == [False, False, True]
    assert attempt(candidates("a"), call, 100, clock=lambda: 99.99) == []


def test_a_slow_failure_leaves_the_next_candidate_only_the_time_that_is_left():
    now = [0.0]
    given = []

    def call(candidate, left, earlier):
        given.append(round(left, 2))
        now[0] += 7.0   # this attempt took 7 s and timed out
        return item(False, None, "timeout")

    attempts = attempt(candidates("a", "b", "c"), call, 10.0, clock=lambda: now[0])
    assert given == [10.0, 3.0] and len(attempts) == 2   # c: the deadline has passed
