"""`service_tier` through /v1: passed to OpenAI (as its spec defines it), billed at the tier OpenAI reports."""
import json

import pytest
from sqlalchemy import select

from app.store.engine import reading
from app.store.schema import LedgerEntry
from tests.gateway.conftest import ANTHROPIC_URL, CHAT, HI, OPENAI_URL
from tests.routing.test_send_prompt_api import ANTHROPIC_REPLY, openai_reply, openai_stream, stream_mock
from tests.spec_validation import validate_openapi

SOL = "openai/gpt-6.2-sol"


def reply_at(tier, **usage):
    return {**openai_reply("Hi", prompt_tokens=1000, completion_tokens=100, **usage), "service_tier": tier}


def ledger_costs(app):
    with reading(app.extensions["store"].engine) as session:
        return [row.cost for row in session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))]


@pytest.mark.parametrize("asked, reported, cost", [
    ("priority", "priority", 0.006),   # gpt-6.2-sol priority: $4 in, $20 out: 1000*4 + 100*20 per million
    ("flex", "default", 0.003),        # OpenAI served it at default: billed at the standard $2 / $10
    ("default", "default", 0.003),
])
def test_the_tier_reaches_openai_and_the_call_is_billed_at_the_tier_it_reports(gateway_app, mocked, asked,
                                                                                 reported, cost):
    app = gateway_app()
    mocked.post(OPENAI_URL, json=reply_at(reported))
    reply = app.test_client().post(CHAT, json={"model": SOL, "messages": HI, "service_tier": asked}).get_json()
    sent = json.loads(mocked.calls[0].request.body)
    assert sent["service_tier"] == asked
    validate_openapi("openai", sent)
    assert reply["service_tier"] == reported
    assert reply["price_runner"]["cost"] == pytest.approx(cost)
    assert [float(value) for value in ledger_costs(app)] == pytest.approx([cost])


def test_without_service_tier_nothing_is_sent_and_the_standard_price_bills(client, mocked):
    mocked.post(OPENAI_URL, json=openai_reply("Hi", prompt_tokens=1000, completion_tokens=100))
    reply = client.post(CHAT, json={"model": SOL, "messages": HI}).get_json()
    assert "service_tier" not in json.loads(mocked.calls[0].request.body) and "service_tier" not in reply
    assert reply["price_runner"]["cost"] == pytest.approx(0.003)


def test_a_vendor_without_tiers_refuses_a_tier_but_serves_auto(client, mocked):
    response = client.post(CHAT, json={"model": "anthropic/claude-haiku-5-5", "messages": HI,
                                       "service_tier": "priority"})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert (error["param"], error["code"]) == ("service_tier", "unsupported_parameter")
    mocked.post(ANTHROPIC_URL, json=ANTHROPIC_REPLY)
    response = client.post(CHAT, json={"model": "anthropic/claude-haiku-5-5", "messages": HI, "service_tier": "auto"})
    assert response.status_code == 200 and "service_tier" not in json.loads(mocked.calls[0].request.body)


def test_an_unknown_tier_is_a_400(client):
    response = client.post(CHAT, json={"model": SOL, "messages": HI, "service_tier": "turbo"})
    assert response.status_code == 400 and response.get_json()["error"]["param"] == "service_tier"


def test_a_streamed_call_is_billed_at_the_tier_its_chunks_report(gateway_app, mocked):
    app = gateway_app()
    body = openai_stream("Hi there", prompt_tokens=1000, completion_tokens=100)
    stream_mock(mocked, OPENAI_URL, body.replace('"model": "m"', '"model": "m", "service_tier": "priority"'))
    response = app.test_client().post(CHAT, json={"model": SOL, "messages": HI, "service_tier": "priority",
                                                  "stream": True})
    assert response.status_code == 200 and "[DONE]" in response.get_data(as_text=True)
    assert json.loads(mocked.calls[0].request.body)["service_tier"] == "priority"
    assert [float(value) for value in ledger_costs(app)] == pytest.approx([0.006])


def test_the_budget_holds_the_worst_case_at_the_tier_asked_for(gateway_app, mocked):
    # gpt-6.2-sol, 1000 output tokens at most: about $0.010 at the standard $10, $0.020 at priority's $20.
    client = gateway_app(BUDGET_DAILY_USD="0.015").test_client()
    mocked.post(OPENAI_URL, json=reply_at("default"))
    assert client.post(CHAT, json={"model": SOL, "messages": HI, "max_tokens": 1000}).status_code == 200
    response = client.post(CHAT, json={"model": SOL, "messages": HI, "max_tokens": 1000, "service_tier": "priority"})
    assert response.status_code == 402 and len(mocked.calls) == 1
    # The same call at the standard tier still fits what is left ($0.012): the tier made the difference.
    assert client.post(CHAT, json={"model": SOL, "messages": HI, "max_tokens": 1000}).status_code == 200
