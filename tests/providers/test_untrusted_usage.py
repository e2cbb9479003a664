"""Usage a vendor reports is untrusted: what cannot be a token count becomes None, the text stays."""
from __future__ import annotations

import copy

import pytest

from tests.fakes.dialects import Exchange, reply
from tests.providers.cases import adapter_for

# vendor key -> (dialect, the usage block's key, its input count's key)
DIALECTS = {"openai": ("openai", "usage", "prompt_tokens"), "anthropic": ("anthropic", "usage", "input_tokens"),
            "google": ("gemini", "usageMetadata", "promptTokenCount"), "bedrock": ("bedrock", "usage", "inputTokens")}


def good_reply(vendor_key):
    dialect = DIALECTS[vendor_key][0]
    return reply(Exchange(dialect, "m", "one two three", 64), "the answer", 2, False)


@pytest.mark.parametrize("vendor_key", list(DIALECTS))
@pytest.mark.parametrize("bad", [-5, "12", 12.0, True, None, [1]])
def test_a_count_that_is_not_a_non_negative_integer_drops_the_usage_not_the_text(vendor_key, bad):
    payload = good_reply(vendor_key)
    _, block, key = DIALECTS[vendor_key]
    payload[block][key] = bad
    completion = adapter_for(vendor_key).parse(payload)
    assert completion.text == "the answer" and completion.usage is None


@pytest.mark.parametrize("vendor_key", list(DIALECTS))
@pytest.mark.parametrize("block_value", ["missing", None, "lots", []])
def test_a_missing_or_malformed_usage_block_is_none(vendor_key, block_value):
    payload = good_reply(vendor_key)
    _, block, _ = DIALECTS[vendor_key]
    if block_value == "missing":
        del payload[block]
    else:
        payload[block] = block_value
    completion = adapter_for(vendor_key).parse(payload)
    assert completion.text == "the answer" and completion.usage is None


@pytest.mark.parametrize("vendor_key", list(DIALECTS))
def test_good_usage_is_read(vendor_key):
    usage = adapter_for(vendor_key).parse(copy.deepcopy(good_reply(vendor_key))).usage
    assert usage.input_tokens == 3 and usage.output_tokens == 2


@pytest.mark.parametrize("vendor_key", list(DIALECTS))
def test_a_finish_reason_that_is_not_a_string_is_none(vendor_key):
    payload = good_reply(vendor_key)
    nested = {"a": [{"b": 1}]}
    if vendor_key == "openai":
        payload["choices"][0]["finish_reason"] = nested
    elif vendor_key == "google":
        payload["candidates"][0]["finishReason"] = nested
    else:
        payload["stop_reason" if vendor_key == "anthropic" else "stopReason"] = nested
    assert adapter_for(vendor_key).parse(payload).finish_reason is None
