"""Anthropic Messages: URL, headers, body, parsing with cache usage, error messages."""
from __future__ import annotations

import json

import pytest

from app.providers.errors import ProviderResponseError
from tests.providers.cases import SETTINGS, adapter_for, prompt_for

# Shaped like the Message object in Anthropic's API reference, with extended thinking and caching.
REPLY = {
    "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF", "type": "message", "role": "assistant",
    "model": "claude-sonnet-4-5-20250929",
    "content": [{"type": "thinking", "thinking": "Primes are...", "signature": "EqQBCgIYAhIM"},
                {"type": "text", "text": "2, 3"}, {"type": "text", "text": " and 5."}],
    "stop_reason": "end_turn", "stop_sequence": None,
    "usage": {"input_tokens": 44, "output_tokens": 503, "cache_creation_input_tokens": 2051,
              "cache_read_input_tokens": 1000, "service_tier": "standard"},
}


def test_call_url_headers_and_body():
    call = adapter_for("anthropic").build(prompt_for("anthropic"))
    assert call.url == "https://api.anthropic.com/v1/messages"
    assert call.headers["x-api-key"] == SETTINGS["anthropic"]["api_key"]
    assert call.headers["anthropic-version"] == "2023-06-01"
    assert call.headers["content-type"] == "application/json" and "Authorization" not in call.headers
    assert json.loads(call.body) == {"model": "claude-sonnet-4-5", "max_tokens": 64, "system": "Answer briefly.",
                                     "temperature": 0.2,
                                     "messages": [{"role": "user", "content": "Name three primes."}]}


def test_no_system_or_temperature_means_fields_omitted():
    body = json.loads(adapter_for("anthropic").build(prompt_for("anthropic", system=None, temperature=None)).body)
    assert set(body) == {"model", "max_tokens", "messages"}


def test_parse_joins_text_blocks_and_counts_cache_tokens_as_input():
    completion = adapter_for("anthropic").parse(REPLY)
    assert completion.text == "2, 3 and 5." and completion.finish_reason == "end_turn"
    assert completion.usage.input_tokens == 44 + 2051 + 1000
    assert completion.usage.cached_tokens == 1000 and completion.usage.output_tokens == 503


@pytest.mark.parametrize("payload", [{}, {"content": "text", "usage": {}}, {"content": {}}, None])
def test_wrong_shapes_raise_response_error(payload):
    with pytest.raises(ProviderResponseError):
        adapter_for("anthropic").parse(payload)


def test_error_message_names_the_error_type():
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"},
            "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"}
    assert adapter_for("anthropic").error_message(529, {}, json.dumps(body)) == "overloaded_error: Overloaded"
