"""Every body an adapter builds is one the vendor's published spec accepts."""
from __future__ import annotations

import json

import pytest

from app.vendors import VENDORS
from tests.providers.cases import adapter_for, prompt_for
from tests.spec_validation import (OPENAPI_REQUESTS, bedrock_path, gemini_rpc_path, validate_azure,
                                   validate_bedrock, validate_gemini, validate_openapi)

OPENAI_COMPATIBLE = [k for k, v in VENDORS.items() if v.api == "openai_chat"]
VARIANTS = {
    "full": {},
    "no system, no temperature": {"system": None, "temperature": None},
    "unicode prompt": {"prompt": "Quelle est la capitale? 東京 \u2603 \"quoted\"\n", "temperature": 0.0},
}


def body_of(vendor_key: str, **changes) -> dict:
    return json.loads(adapter_for(vendor_key).build(prompt_for(vendor_key, **changes)).body)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("vendor_key", OPENAI_COMPATIBLE)
def test_openai_compatible_bodies_match_their_spec(vendor_key, variant):
    # Vendors without a published spec (Groq, DeepSeek, xAI, Ollama) are held to OpenAI's.
    spec = vendor_key if vendor_key in OPENAPI_REQUESTS else "openai"
    validate_openapi(spec, body_of(vendor_key, **VARIANTS[variant]))


@pytest.mark.parametrize("variant", VARIANTS)
def test_anthropic_body_matches_create_message_params(variant):
    validate_openapi("anthropic", body_of("anthropic", **VARIANTS[variant]))


@pytest.mark.parametrize("variant", VARIANTS)
def test_azure_body_is_openai_without_model(variant):
    validate_azure(body_of("azure", **VARIANTS[variant]))


@pytest.mark.parametrize("variant", VARIANTS)
def test_gemini_body_parses_as_generate_content_request(variant):
    validate_gemini(body_of("google", **VARIANTS[variant]))


@pytest.mark.parametrize("variant", VARIANTS)
def test_bedrock_body_matches_converse_input(variant):
    validate_bedrock(body_of("bedrock", **VARIANTS[variant]), prompt_for("bedrock").model)


def test_max_tokens_field_follows_each_vendor():
    assert "max_tokens" in body_of("mistral") and "max_completion_tokens" not in body_of("mistral")
    assert "max_tokens" in body_of("together") and "max_tokens" in body_of("ollama")
    assert "max_completion_tokens" in body_of("openai") and "max_completion_tokens" in body_of("azure")


# The validators must have teeth, or the tests above prove nothing.
@pytest.mark.parametrize("vendor_key, bad", [
    ("mistral", {"max_completion_tokens": 5}),
    ("openai", {"messages": [{"role": "user", "content": "hi", "name_of_thing": 1}]}),
    ("openai", {"temperature": None}),
    ("anthropic", {"system_prompt": "x"}),
    ("together", {"unexpected_field": True}),
])
def test_openapi_validators_reject_bad_bodies(vendor_key, bad):
    with pytest.raises(AssertionError):
        validate_openapi(vendor_key, {**body_of(vendor_key), **bad})


def test_azure_validator_rejects_model_in_body():
    with pytest.raises(AssertionError):
        validate_azure({**body_of("azure"), "model": "gpt-4o"})


def test_gemini_validator_rejects_unknown_fields():
    from google.protobuf.json_format import ParseError
    with pytest.raises(ParseError):
        validate_gemini({**body_of("google"), "max_tokens": 5})


def test_bedrock_validator_rejects_snake_case():
    with pytest.raises(AssertionError):
        validate_bedrock({**body_of("bedrock"), "inference_config": {"max_tokens": 5}}, "m")


# Streaming calls: the same bodies plus the stream flags, on the streaming endpoints.
def stream_call(vendor_key: str, **changes):
    return adapter_for(vendor_key).build_stream(prompt_for(vendor_key, **changes))


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("vendor_key", OPENAI_COMPATIBLE)
def test_openai_compatible_stream_bodies_match_their_spec(vendor_key, variant):
    body = json.loads(stream_call(vendor_key, **VARIANTS[variant]).body)
    validate_openapi(vendor_key if vendor_key in OPENAPI_REQUESTS else "openai", body)
    assert body["stream"] is True
    if VENDORS[vendor_key].stream_usage_option:
        assert body["stream_options"] == {"include_usage": True}
    else:   # Mistral and Together declare no stream_options (Mistral rejects unknown keys); they report usage unasked
        assert "stream_options" not in body


def test_openai_stream_call_asks_for_events_on_the_same_path():
    call = stream_call("openai")
    assert call.url == adapter_for("openai").build(prompt_for("openai")).url
    assert call.headers["Accept"] == "text/event-stream" and call.headers["Authorization"].startswith("Bearer ")


@pytest.mark.parametrize("variant", VARIANTS)
def test_azure_stream_body_is_openai_without_model(variant):
    body = json.loads(stream_call("azure", **VARIANTS[variant]).body)
    validate_azure(body)
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize("variant", VARIANTS)
def test_anthropic_stream_body_matches_create_message_params(variant):
    body = json.loads(stream_call("anthropic", **VARIANTS[variant]).body)
    validate_openapi("anthropic", body)
    assert body["stream"] is True


@pytest.mark.parametrize("variant", VARIANTS)
def test_gemini_stream_call_is_stream_generate_content_as_sse(variant):
    call = stream_call("google", **VARIANTS[variant])
    validate_gemini(json.loads(call.body))   # StreamGenerateContent takes a GenerateContentRequest too
    assert gemini_rpc_path("StreamGenerateContent") == "/v1beta/{model=models/*}:streamGenerateContent"
    assert call.url.endswith(f"/v1beta/models/{prompt_for('google').model}:streamGenerateContent?alt=sse")


@pytest.mark.parametrize("variant", VARIANTS)
def test_bedrock_stream_call_is_converse_stream(variant):
    call = stream_call("bedrock", **VARIANTS[variant])
    model = prompt_for("bedrock").model
    validate_bedrock(json.loads(call.body), model, "ConverseStream")
    assert call.url.endswith(bedrock_path("ConverseStream", model))
    assert call.headers["Accept"] == "application/vnd.amazon.eventstream"
    assert call.headers["Authorization"].startswith("AWS4-HMAC-SHA256 ")
    assert "x-amz-content-sha256" in call.headers["Authorization"].lower()


def test_bedrock_path_helper_has_teeth():
    assert bedrock_path("Converse", "m") != bedrock_path("ConverseStream", "m")
    assert not adapter_for("bedrock").build(prompt_for("bedrock")).url.endswith(bedrock_path("ConverseStream", "x"))
