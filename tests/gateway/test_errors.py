"""Every error under /v1 in OpenAI's format, with the status each SDK exception class expects; /api keeps its envelope."""
import pytest

from app.gateway.errors import first_field
from tests.gateway.conftest import CHAT, HI

KEY = "gw-test-key-0123456789abcdef"


def openai_error(response, status, kind, param=None, code=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body["error"]) == {"message", "type", "param", "code"} and body["error"]["message"]
    assert (body["error"]["type"], body["error"]["param"]) == (kind, param)
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


@pytest.mark.parametrize("body, param, says", [
    ({"model": "auto", "messages": HI, "temperature": 3}, "temperature", "Invalid value for temperature"),
    ({"model": "auto", "messages": HI, "frequency_boost": 1}, "frequency_boost", "Unrecognized request argument"),
    ({"model": "auto", "messages": HI, "service_tier": "flex"}, "service_tier", "Must be one of"),
    ({"model": "auto", "messages": HI, "modalities": ["text", "audio"]}, "modalities[1]", "Only text"),
    ({"model": "auto", "messages": HI, "top_logprobs": 3}, "top_logprobs", "logprobs must be true"),
    ({"model": "auto", "messages": HI, "stream": True, "logprobs": True}, "logprobs", "not offered with stream"),
    ({"model": "auto", "messages": HI, "functions": [{"name": "f"}]}, "functions", "use tools"),
    ({"model": "auto", "messages": HI, "presence_penalty": 3}, "presence_penalty", "less than or equal to 2"),
    ({"model": "auto", "messages": [{"role": "function", "content": "x"}]}, "messages[0].role", "Must be one of"),
    ({"model": "auto", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]},
     "messages[0].content[0].image_url", "Missing data"),
    ({"model": "auto"}, "messages", "Missing data"),
    ({"model": "auto", "messages": HI, "stop": ["a", "b", "c", "d", "e"]}, "stop", "1 to 4"),
    ({"model": "auto", "messages": HI, "stream_options": {"include_usage": True}}, "stream_options", "stream"),
    ({"model": "auto", "messages": HI, "price_runner": {"sort": "mmlu"}}, "price_runner.sort", "Must be one of"),
])
def test_validation_errors_name_the_parameter(client, body, param, says):
    error = openai_error(client.post(CHAT, json=body), 400, "invalid_request_error", param)
    assert says in error["message"]


@pytest.mark.parametrize("parameter, value", [("presence_penalty", 0.5), ("frequency_penalty", -1), ("n", 2),
                                              ("logprobs", True), ("logit_bias", {"50256": -100})])
def test_a_parameter_the_vendor_cannot_honour_is_a_400_naming_it(client, parameter, value):
    response = client.post(CHAT, json={"model": "anthropic/claude-haiku-5-5", "messages": HI, parameter: value})
    openai_error(response, 400, "invalid_request_error", parameter, "unsupported_parameter")


def test_unknown_and_unconfigured_models_are_404(client):
    openai_error(client.post(CHAT, json={"model": "acme/nothing", "messages": HI}), 404, "invalid_request_error",
                 "model", "model_not_found")
    # Google has catalog rows but no credentials in this app.
    error = openai_error(client.post(CHAT, json={"model": "auto", "models": ["google/gemini-3.8-flash"],
                                                 "messages": HI}), 404, "invalid_request_error", "models[0]")
    assert "not available" in error["message"]


@pytest.mark.parametrize("call, status, code", [
    (lambda c: c.get("/v1/nothing"), 404, "not_found"),
    (lambda c: c.delete("/v1/chat/completions"), 405, "method_not_allowed"),
    (lambda c: c.post(CHAT, data="{}", content_type="text/plain"), 415, "unsupported_media_type"),
    (lambda c: c.post(CHAT, data="{", content_type="application/json"), 400, None),
])
def test_http_errors_under_v1(client, call, status, code):
    openai_error(call(client), status, "invalid_request_error", None, code)


def test_a_body_over_the_limit_is_413(gateway_app):
    client = gateway_app(MAX_CONTENT_LENGTH=1024).test_client()
    response = client.post(CHAT, json={"model": "auto", "messages": [{"role": "user", "content": "x" * 4096}]})
    openai_error(response, 413, "invalid_request_error", None, "request_too_large")


def test_authentication_is_401_and_bearer_keys_work(gateway_app):
    client = gateway_app(AUTH_MODE="api_key", API_KEYS=(KEY,)).test_client()
    openai_error(client.get("/v1/models"), 401, "authentication_error", None, "invalid_api_key")
    openai_error(client.get("/v1/models", headers={"Authorization": "Bearer wrong-key-0123456789"}), 401,
                 "authentication_error")
    assert client.get("/v1/models", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
    # The rest of the API keeps its envelope.
    assert client.get("/api/models").get_json()["success"] is False


def test_rate_limits_are_429_with_retry_after(gateway_app):
    client = gateway_app(RATELIMIT_V1="1/minute").test_client()
    client.post(CHAT, json={"model": "acme/x", "messages": HI})
    response = client.post(CHAT, json={"model": "acme/x", "messages": HI})
    openai_error(response, 429, "rate_limit_error", None, "rate_limit_exceeded")
    assert int(response.headers["Retry-After"]) >= 1


def test_other_paths_keep_the_envelope(client):
    body = client.get("/api/nothing").get_json()
    assert body == {"success": False, "error": {"code": 404, "message": "No such resource."}}
    assert client.get("/v1x").get_json()["success"] is False   # a prefix is a path segment


def test_first_field_walks_nested_messages():
    assert first_field({"messages": {1: {"content": ["bad"]}, 0: {"role": ["worse"]}}}) == ("messages[0].role", "worse")
    assert first_field({"_schema": ["whole body"]}) == (None, "whole body")


def test_a_batch_entry_is_estimate_only(client):
    # The bundled catalog holds OpenRouter's batch entry; the gateway never calls it.
    error = openai_error(client.post(CHAT, json={"model": "openrouter/gemini-4-neon:batch", "messages": HI}),
                         400, "invalid_request_error", "model", "model_not_found")
    assert "estimate-only" in error["message"]


def test_estimate_only_entries_are_not_listed_for_v1(make_app, tmp_path):
    secrets = tmp_path / "openrouter.yaml"
    secrets.write_text('openrouter: {api_key: sk-or-test, base_url: "https://openrouter.test/api/v1"}\n')
    client = make_app(SECRETS_FILE=str(secrets)).test_client()
    listed = {model["id"] for model in client.get("/v1/models").get_json()["data"]}
    assert "openrouter/gemini-4-neon" in listed and "openrouter/gemini-4-neon:batch" not in listed
    error = openai_error(client.post(CHAT, json={"model": "openrouter/gemini-4-neon:batch", "messages": HI}),
                         400, "invalid_request_error", "model", "model_not_found")
    assert "estimate-only" in error["message"]
