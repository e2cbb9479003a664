"""OpenAI Chat Completions and its relatives: URL, auth header, body, parsing, error messages."""
from __future__ import annotations

import json

import pytest

from app.providers.errors import ProviderResponseError
from tests.providers.cases import OPENAI_KEY, SETTINGS, adapter_for, prompt_for

# Shaped like the Chat Completions object in OpenAI's API reference (an o-series reply with cache hits).
OPENAI_REPLY = {
    "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG", "object": "chat.completion", "created": 1741570283,
    "model": "o4-mini-2025-04-16",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "2, 3 and 5.", "refusal": None,
                                         "annotations": []},
                 "logprobs": None, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 1117, "completion_tokens": 246, "total_tokens": 1363,
              "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
              "completion_tokens_details": {"reasoning_tokens": 192, "audio_tokens": 0,
                                            "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
    "service_tier": "default", "system_fingerprint": "fp_fc9f1d7035",
}
# Mistral's reply carries no token details.
MISTRAL_REPLY = {
    "id": "cmpl-e5cc70bb28c444948073e77776eb30ef", "object": "chat.completion", "created": 1702256327,
    "model": "mistral-small-latest",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "2, 3, 5", "tool_calls": None},
                 "finish_reason": "length"}],
    "usage": {"prompt_tokens": 16, "completion_tokens": 34, "total_tokens": 50},
}


def test_openai_call_url_headers_and_body():
    call = adapter_for("openai").build(prompt_for("openai"))
    assert (call.method, call.url) == ("POST", "https://api.openai.com/v1/chat/completions")
    assert call.headers["Authorization"] == f"Bearer {OPENAI_KEY}"
    assert call.headers["Content-Type"] == "application/json"
    assert json.loads(call.body) == {
        "model": "gpt-4o-mini", "max_completion_tokens": 64, "temperature": 0.2,
        "messages": [{"role": "system", "content": "Answer briefly."},
                     {"role": "user", "content": "Name three primes."}]}


@pytest.mark.parametrize("vendor_key, url", [
    ("mistral", "https://api.mistral.ai/v1/chat/completions"),
    ("groq", "https://api.groq.com/openai/v1/chat/completions"),
    ("deepseek", "https://api.deepseek.com/chat/completions"),
    ("xai", "https://api.x.ai/v1/chat/completions"),
    ("together", "https://api.together.xyz/v1/chat/completions"),
    ("openrouter", "https://openrouter.ai/api/v1/chat/completions"),
    ("ollama", "http://localhost:11434/v1/chat/completions"),
])
def test_compatible_vendors_use_their_base_url(vendor_key, url):
    assert adapter_for(vendor_key).build(prompt_for(vendor_key)).url == url


def test_base_url_setting_overrides_the_default():
    adapter = adapter_for("openai", base_url="https://proxy.example/v1/")
    assert adapter.build(prompt_for("openai")).url == "https://proxy.example/v1/chat/completions"


def test_ollama_sends_no_authorization_without_a_key():
    call = adapter_for("ollama").build(prompt_for("ollama"))
    assert "Authorization" not in call.headers
    assert json.loads(call.body)["max_tokens"] == 64


def test_optional_fields_are_omitted_not_null():
    body = json.loads(adapter_for("openai").build(prompt_for("openai", system=None, temperature=None)).body)
    assert body == {"model": "gpt-4o-mini", "max_completion_tokens": 64,
                    "messages": [{"role": "user", "content": "Name three primes."}]}


def test_azure_uses_deployment_path_api_key_header_and_no_model():
    call = adapter_for("azure").build(prompt_for("azure"))
    assert call.url == ("https://example-resource.openai.azure.com/openai/deployments/my-gpt4o-deploy"
                        "/chat/completions?api-version=2024-10-21")
    assert call.headers["api-key"] == SETTINGS["azure"]["api_key"] and "Authorization" not in call.headers
    body = json.loads(call.body)
    assert "model" not in body and body["max_completion_tokens"] == 64


def test_azure_api_version_defaults():
    call = adapter_for("azure", api_version=None).build(prompt_for("azure"))
    assert call.url.endswith("?api-version=2024-10-21")


def test_parse_openai_reply_with_cached_and_reasoning_tokens():
    completion = adapter_for("openai").parse(OPENAI_REPLY)
    assert completion.text == "2, 3 and 5." and completion.finish_reason == "stop"
    usage = completion.usage
    assert (usage.input_tokens, usage.output_tokens, usage.cached_tokens, usage.reasoning_tokens) == \
        (1117, 246, 1024, 192)


def test_parse_mistral_reply_without_details():
    completion = adapter_for("mistral").parse(MISTRAL_REPLY)
    assert completion.text == "2, 3, 5" and completion.finish_reason == "length"
    assert completion.usage.cached_tokens == 0 and completion.usage.reasoning_tokens == 0


def test_parse_refusal_when_content_is_null():
    reply = json.loads(json.dumps(OPENAI_REPLY))
    reply["choices"][0]["message"].update(content=None, refusal="I can't help with that.")
    assert adapter_for("openai").parse(reply).text == "I can't help with that."


@pytest.mark.parametrize("payload", [{}, {"choices": []}, {"choices": [{}]}, [], "text"])
def test_wrong_shapes_raise_response_error(payload):
    with pytest.raises(ProviderResponseError):
        adapter_for("openai").parse(payload)


@pytest.mark.parametrize("body, expected", [
    ({"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error",
                "param": None, "code": "invalid_api_key"}}, "invalid_request_error: Incorrect API key provided."),
    ({"object": "error", "message": "Unauthorized", "type": "unauthorized", "param": None, "code": None},
     "Unauthorized"),
    ({"detail": "Model not found"}, "Model not found"),
    ({"error": "model 'llama9' not found, try pulling it first"}, "model 'llama9' not found, try pulling it first"),
])
def test_error_message_reads_openai_and_mistral_styles(body, expected):
    assert adapter_for("openai").error_message(400, {}, json.dumps(body)) == expected


def _reply_with_call(function: dict) -> dict:
    message = {"role": "assistant", "content": None,
               "tool_calls": [{"id": "call_1", "type": "function", "function": function}]}
    return {"choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 3}}


@pytest.mark.parametrize("arguments,text", [({"city": "Paris"}, '{"city":"Paris"}'), ([1, "a"], '[1,"a"]'),
                                            ('{"a": 1}', '{"a": 1}')])
def test_tool_call_arguments_that_are_not_text_become_json_text(arguments, text):
    completion = adapter_for("openai").parse(_reply_with_call({"name": "get_weather", "arguments": arguments}))
    assert completion.tool_calls[0]["function"] == {"name": "get_weather", "arguments": text}
    assert completion.finish_reason == "tool_calls"


@pytest.mark.parametrize("vendor_key,payload", [
    ("openai", _reply_with_call({"name": {"x": 1}, "arguments": "{}"})),
    ("anthropic", {"content": [{"type": "tool_use", "id": "t1", "name": 7, "input": {}}], "stop_reason": "tool_use",
                   "usage": {"input_tokens": 5, "output_tokens": 3}}),
])
def test_a_tool_call_whose_name_is_not_text_is_a_response_error(vendor_key, payload):
    # not a call silently dropped under finish_reason "tool_calls"
    with pytest.raises(ProviderResponseError, match="name is not a string"):
        adapter_for(vendor_key).parse(payload)
