"""Bedrock Converse: URL, SigV4 signing (checked by an independent implementation), Bearer keys, parsing."""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from urllib.parse import quote, urlsplit

import pytest

from app.providers.errors import ProviderResponseError
from tests.providers.cases import SETTINGS, adapter_for, prompt_for

MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"
# Shaped like the Converse response in the Bedrock API reference, with a reasoning block and cache usage.
REPLY = {
    "output": {"message": {"role": "assistant", "content": [
        {"reasoningContent": {"reasoningText": {"text": "primes...", "signature": "abc"}}},
        {"text": "2, 3 and 5."}]}},
    "stopReason": "end_turn",
    "usage": {"inputTokens": 30, "outputTokens": 628, "totalTokens": 2158,
              "cacheReadInputTokens": 1000, "cacheWriteInputTokens": 500},
    "metrics": {"latencyMs": 1275},
}


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def expected_signature(call, secret: str) -> str:
    """Recompute the SigV4 signature from the AWS documentation's algorithm, without botocore."""
    auth = call.headers["Authorization"]
    scope = re.search(r"Credential=[^/]+/([^,]+)", auth)[1]
    signed = re.search(r"SignedHeaders=([^,]+)", auth)[1].split(";")
    date, region, service, _ = scope.split("/")
    parts = urlsplit(call.url)
    headers = {k.lower(): v.strip() for k, v in call.headers.items()}
    headers["host"] = parts.netloc
    canonical = "\n".join([
        call.method,
        quote(parts.path, safe="/~"),  # non-S3 services encode the (already encoded) path once more
        parts.query,
        "".join(f"{name}:{headers[name]}\n" for name in signed),
        ";".join(signed),
        hashlib.sha256(call.body).hexdigest(),
    ])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", headers["x-amz-date"], scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret}".encode(), date), region), service), "aws4_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def test_url_quotes_the_model_id():
    call = adapter_for("bedrock").build(prompt_for("bedrock"))
    assert call.url == ("https://bedrock-runtime.us-east-1.amazonaws.com/model/"
                        "anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse")


def test_region_and_endpoint_settings():
    assert "bedrock-runtime.eu-west-3.amazonaws.com" in adapter_for("bedrock", region="eu-west-3").build(
        prompt_for("bedrock")).url
    call = adapter_for("bedrock", endpoint_url="http://127.0.0.1:9000/").build(prompt_for("bedrock"))
    assert call.url.startswith("http://127.0.0.1:9000/model/")


def test_sigv4_headers_are_present_and_well_formed():
    call = adapter_for("bedrock").build(prompt_for("bedrock"))
    assert re.match(r"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/\d{8}/us-east-1/bedrock/aws4_request, "
                    r"SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$", call.headers["Authorization"])
    assert re.match(r"\d{8}T\d{6}Z$", call.headers["X-Amz-Date"])
    assert call.headers["X-Amz-Content-SHA256"] == hashlib.sha256(call.body).hexdigest()
    signed = re.search(r"SignedHeaders=([^,]+)", call.headers["Authorization"])[1].split(";")
    assert {"host", "x-amz-date", "x-amz-content-sha256", "content-type"} <= set(signed)


def test_sigv4_signature_verifies_independently():
    call = adapter_for("bedrock").build(prompt_for("bedrock"))
    signature = call.headers["Authorization"].rsplit("Signature=", 1)[1]
    assert signature == expected_signature(call, SETTINGS["bedrock"]["secret_access_key"])


def test_tampered_body_breaks_the_signature():
    call = adapter_for("bedrock").build(prompt_for("bedrock"))
    forged = type(call)(call.method, call.url, call.headers, call.body.replace(b"primes", b"prizes"))
    signature = call.headers["Authorization"].rsplit("Signature=", 1)[1]
    assert signature != expected_signature(forged, SETTINGS["bedrock"]["secret_access_key"])


def test_session_token_is_sent_and_signed():
    call = adapter_for("bedrock", session_token="FwoGZXIvYXdzEFAKEsessiontoken").build(prompt_for("bedrock"))
    assert call.headers["X-Amz-Security-Token"] == "FwoGZXIvYXdzEFAKEsessiontoken"
    assert "x-amz-security-token" in call.headers["Authorization"]


def test_bearer_token_replaces_sigv4():
    adapter = adapter_for("bedrock", access_key_id=None, secret_access_key=None, bearer_token="ABSKFAKEbedrockkey0123")
    call = adapter.build(prompt_for("bedrock"))
    assert call.headers["Authorization"] == "Bearer ABSKFAKEbedrockkey0123"
    assert "X-Amz-Date" not in call.headers


def test_body_has_no_model_id_and_uses_converse_names():
    body = json.loads(adapter_for("bedrock").build(prompt_for("bedrock")).body)
    assert body == {"messages": [{"role": "user", "content": [{"text": "Name three primes."}]}],
                    "system": [{"text": "Answer briefly."}],
                    "inferenceConfig": {"maxTokens": 64, "temperature": 0.2}}


def test_parse_text_and_cache_usage():
    completion = adapter_for("bedrock").parse(REPLY)
    assert completion.text == "2, 3 and 5." and completion.finish_reason == "end_turn"
    assert completion.usage.input_tokens == 30 + 1000 + 500
    assert completion.usage.cached_tokens == 1000 and completion.usage.output_tokens == 628


@pytest.mark.parametrize("payload", [{}, {"output": {}}, {"output": {"message": {"content": {}}}, "usage": {}}])
def test_wrong_shapes_raise_response_error(payload):
    with pytest.raises(ProviderResponseError):
        adapter_for("bedrock").parse(payload)


def test_error_message_uses_the_amzn_error_type_header():
    headers = {"x-amzn-ErrorType": "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"}
    body = json.dumps({"message": "Too many requests, please wait before trying again."})
    assert adapter_for("bedrock").error_message(429, headers, body) == \
        "ThrottlingException: Too many requests, please wait before trying again."
