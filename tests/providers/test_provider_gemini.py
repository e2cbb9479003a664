"""Gemini generateContent: key only in a header, body, parsing with thoughts, error messages."""
from __future__ import annotations

import json

import pytest

from app.providers.errors import ProviderResponseError
from tests.providers.cases import SETTINGS, adapter_for, prompt_for

# Shaped like GenerateContentResponse in the Gemini API reference, from a thinking model.
REPLY = {
    "candidates": [{"content": {"parts": [{"text": "Let me think about primes.", "thought": True},
                                          {"text": "2, 3 and 5."}], "role": "model"},
                    "finishReason": "STOP", "index": 0}],
    "usageMetadata": {"promptTokenCount": 1208, "candidatesTokenCount": 7, "totalTokenCount": 1287,
                      "cachedContentTokenCount": 1024, "thoughtsTokenCount": 72,
                      "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 1208}]},
    "modelVersion": "gemini-2.5-flash", "responseId": "mYXWaPHsKdOfz7IPqOHb8A0",
}


def test_key_is_in_the_header_and_never_in_the_url():
    key = SETTINGS["google"]["api_key"]
    call = adapter_for("google").build(prompt_for("google"))
    assert call.url == "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"
    assert call.headers["x-goog-api-key"] == key
    assert key not in call.url and "key=" not in call.url


def test_body_shape():
    body = json.loads(adapter_for("google").build(prompt_for("google")).body)
    assert body == {"contents": [{"role": "user", "parts": [{"text": "Name three primes."}]}],
                    "systemInstruction": {"parts": [{"text": "Answer briefly."}]},
                    "generationConfig": {"maxOutputTokens": 64, "temperature": 0.2}}


def test_models_prefix_is_not_doubled():
    call = adapter_for("google").build(prompt_for("google", model="models/gemini-2.5-pro"))
    assert call.url.endswith("/v1beta/models/gemini-2.5-pro:generateContent")


def test_parse_skips_thoughts_and_bills_them_as_output():
    completion = adapter_for("google").parse(REPLY)
    assert completion.text == "2, 3 and 5." and completion.finish_reason == "STOP"
    usage = completion.usage
    assert (usage.input_tokens, usage.output_tokens, usage.cached_tokens, usage.reasoning_tokens) == \
        (1208, 7 + 72, 1024, 72)


def test_blocked_prompt_is_an_empty_completion():
    payload = {"promptFeedback": {"blockReason": "SAFETY"},
               "usageMetadata": {"promptTokenCount": 9, "totalTokenCount": 9}}
    completion = adapter_for("google").parse(payload)
    assert completion.text == "" and completion.finish_reason == "BLOCKED_SAFETY"
    assert completion.usage.input_tokens == 9


@pytest.mark.parametrize("payload", [{}, {"candidates": []}, [], {"usageMetadata": {"promptTokenCount": 1.5}}])
def test_wrong_shapes_raise_response_error(payload):
    with pytest.raises(ProviderResponseError):
        adapter_for("google").parse(payload)


def test_error_message_uses_status_and_message():
    body = {"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
                      "status": "INVALID_ARGUMENT",
                      "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]}}
    assert adapter_for("google").error_message(400, {}, json.dumps(body)) == \
        "INVALID_ARGUMENT: API key not valid. Please pass a valid API key."
