"""The registry: one call per dialect, as the gateway will make it."""
from __future__ import annotations

import pytest

from app.agents import AgentParamError
from app.agents.images import anthropic_tokens
from app.agents.registry import DIALECTS, request_fields, request_image_cost
from app.vendors import VENDORS
from tests.agents.conversation import agent_messages, data_url, png, request


def test_every_vendor_dialect_is_registered():
    assert {v.api for v in VENDORS.values()} <= DIALECTS.keys()


@pytest.mark.parametrize("api, key", [("anthropic", "messages"), ("gemini", "contents"), ("bedrock", "messages"),
                                      ("openai_chat", "messages"), ("azure", "messages")])
def test_request_fields_by_dialect(api, key):
    fields = request_fields(api, request(), max_tokens=2000, model="global.anthropic.claude-sonnet-5-5",
                            vendor="openai")
    assert key in fields


def test_refusals_come_through():
    with pytest.raises(AgentParamError):
        request_fields("anthropic", request(response_format={"type": "json_object"}), max_tokens=100,
                       model="claude-x", vendor="anthropic")


def test_image_cost_for_a_catalog_row():
    body = {"messages": agent_messages(data_url(png(1000, 1000)))}
    cost = request_image_cost(body, "anthropic", "claude-sonnet-5-5")
    assert (cost.tokens, cost.images, cost.uncounted) == (anthropic_tokens(1000, 1000), 1, 0)
    assert request_image_cost(body, "mistral", "mistral-large").uncounted == 1
