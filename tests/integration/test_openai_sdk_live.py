"""The official openai SDK against /v1 under real gunicorn, every vendor dialect served by the fake."""
import openai
import pytest
import requests

from tests.integration.servers import gunicorn
from tests.integration.test_send_prompt_live import secrets_for

pytestmark = pytest.mark.integration
KEY, LIMITED, POOR = "sdk-live-key-0123456789", "sdk-limited-key-0123456789", "sdk-poor-key-0123456789"
DIALECTS = ["openai/gpt-6-luna", "anthropic/claude-haiku-5-5", "google/gemini-3.8-flash",
            "azure/gpt-6-luna", "groq/llama-3.1-8b"]
HELLO = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello to the SDK"}]


@pytest.fixture(scope="module")
def service(fake, tmp_path_factory, encodings_dir):
    folder = tmp_path_factory.mktemp("sdk")
    (folder / "secrets.yaml").write_text(secrets_for(fake.url))
    (folder / "budgets.yaml").write_text("poor: {daily_usd: 0.000000001}\n")
    with gunicorn(SECRETS_FILE=str(folder / "secrets.yaml"), TIKTOKEN_CACHE_DIR=str(encodings_dir),
                  WEB_CONCURRENCY="1", AUTH_MODE="api_key",
                  API_KEYS=f"main:{KEY},limited:{LIMITED},poor:{POOR}", BUDGETS_FILE=str(folder / "budgets.yaml"),
                  RATELIMIT_ENABLED="true", RATELIMIT_V1="40/minute", PROVIDER_MAX_RETRIES="0") as (base, _):
        yield base


def sdk(base, key=KEY):
    return openai.OpenAI(base_url=f"{base}/v1", api_key=key, max_retries=0, timeout=20)


def bedrock_id(base):
    models = requests.get(f"{base}/api/models", headers={"X-API-Key": KEY}, timeout=5).json()["data"]
    return next(m["id"] for m in models if m["id"].startswith("bedrock/"))


@pytest.mark.parametrize("model", DIALECTS + ["bedrock"])
def test_non_streaming_on_every_dialect(service, fake, model):
    model = bedrock_id(service) if model == "bedrock" else model
    raw = sdk(service).chat.completions.with_raw_response.create(model=model, messages=HELLO, max_tokens=40)
    completion = raw.parse()
    assert completion.model == model and completion.choices[0].finish_reason == "stop"
    assert "hello" in completion.choices[0].message.content.lower()
    assert completion.usage.prompt_tokens > 0 and completion.usage.completion_tokens > 0
    served = completion.model_extra["price_runner"]
    assert served["model"] == model and served["cost"] > 0 and len(served["attempts"]) == 1
    assert raw.headers["X-Price-Runner-Model"] == model and float(raw.headers["X-Price-Runner-Cost"]) == served["cost"]


def test_auto_with_a_quality_bar_is_the_cheapest_that_meets_it(service, fake):
    headers = {"X-API-Key": KEY}
    scores = {m["id"]: m["quality"].get("mmlu_pro", {}).get("score") for m in
              requests.get(f"{service}/api/models", headers=headers, timeout=5).json()["data"]}
    ranked = requests.post(f"{service}/api/get_best_price_for_prompt", headers=headers, timeout=5, json={
        "prompt": "Say hello to the SDK", "system": "Be brief.", "expected_output_tokens": 40,
        "only_configured": True}).json()["data"]
    expected = next(item["id"] for item in ranked if (scores[item["id"]] or 0) >= 70)
    completion = sdk(service).chat.completions.create(
        model="auto", messages=HELLO, max_tokens=40,
        extra_body={"price_runner": {"min_quality": {"benchmark": "mmlu_pro", "score": 70}}})
    assert completion.model == expected and scores[expected] >= 70


def test_a_fallback_after_a_vendor_500(service, fake):
    fake.behave("claude-haiku-5-5", status=500)
    try:
        completion = sdk(service).chat.completions.create(
            model="anthropic/claude-haiku-5-5", messages=HELLO, extra_body={"models": ["openai/gpt-6-luna"]})
    finally:
        fake.reset()
    attempts = completion.model_extra["price_runner"]["attempts"]
    assert [(a["model"], (a["error"] or {}).get("status")) for a in attempts] == [
        ("anthropic/claude-haiku-5-5", 500), ("openai/gpt-6-luna", None)]
    assert completion.model == "openai/gpt-6-luna"


def test_models_list(service):
    ids = [model.id for model in sdk(service).models.list()]
    assert ids[0] == "auto" and set(DIALECTS) <= set(ids)
    assert sdk(service).models.retrieve("openai/gpt-6-luna").owned_by == "openai"


def test_bad_request_names_the_parameter(service):
    with pytest.raises(openai.BadRequestError) as caught:
        sdk(service).chat.completions.create(model="auto", messages=HELLO, extra_body={"frequency_boost": 1})
    assert caught.value.param == "frequency_boost" and caught.value.type == "invalid_request_error"
    with pytest.raises(openai.BadRequestError) as caught:
        sdk(service).chat.completions.create(model="anthropic/claude-haiku-5-5", messages=HELLO, presence_penalty=1)
    assert caught.value.param == "presence_penalty"


def test_authentication_error(service):
    with pytest.raises(openai.AuthenticationError) as caught:
        sdk(service, "wrong-key-0123456789abc").models.list()
    assert caught.value.type == "authentication_error"


def test_not_found_error(service):
    with pytest.raises(openai.NotFoundError) as caught:
        sdk(service).chat.completions.create(model="acme/no-such-model", messages=HELLO)
    assert caught.value.code == "model_not_found"


def test_rate_limit_error(service):
    client = sdk(service, LIMITED)
    with pytest.raises(openai.RateLimitError) as caught:
        for _ in range(41):
            try:
                client.chat.completions.create(model="acme/no-such-model", messages=HELLO)
            except openai.NotFoundError:
                pass
    assert caught.value.type == "rate_limit_error" and int(caught.value.response.headers["Retry-After"]) >= 1
    # Ours, not a vendor's (vendor_rate_limited), with the limit as OpenAI reports its own.
    assert caught.value.code == "rate_limit_exceeded"
    headers = caught.value.response.headers
    assert (headers["x-ratelimit-limit-requests"], headers["x-ratelimit-remaining-requests"]) == ("40", "0")
    assert headers["x-ratelimit-reset-requests"].endswith("s")


def test_a_vendors_429_is_vendor_rate_limited_without_our_limit_headers(service, fake):
    fake.behave("gpt-6-luna", status=429)
    try:
        with pytest.raises(openai.RateLimitError) as caught:
            sdk(service).chat.completions.create(model="openai/gpt-6-luna", messages=HELLO)
    finally:
        fake.reset()
    assert caught.value.code == "vendor_rate_limited"
    assert "x-ratelimit-limit-requests" not in caught.value.response.headers   # not our limit


def test_a_budget_refusal_is_402_insufficient_quota(service):
    with pytest.raises(openai.APIStatusError) as caught:
        sdk(service, POOR).chat.completions.create(model="openai/gpt-6-luna", messages=HELLO)
    assert caught.value.status_code == 402 and caught.value.type == "insufficient_quota"
