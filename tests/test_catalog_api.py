"""Catalog endpoints, the error envelope, CORS, and the factory's settings."""
import pytest

from app import create_app
from app.catalog import CatalogError
from app.secrets import SecretsError
from tests.catalog_rows import write_catalog
from tests.conftest import REPO

MODEL_FIELDS = {
    "id", "model_name", "provider", "price_per_token", "mmlu_score", "model_size", "api_model",
    "input_price_per_mtok", "output_price_per_mtok", "cached_input_price_per_mtok",
    "long_context_threshold", "long_input_price_per_mtok", "long_output_price_per_mtok",
    "context_window", "max_output_tokens", "mmlu_pro_score", "tokenizer", "prices_checked",
    "default", "configured", "quality", "price_effective_from", "self_hosted", "price_window", "price_changes_at",
    "service_tiers"}


@pytest.fixture
def small_app(make_app, tmp_path):
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text("openai: {api_key: sk-test-openai}\n")
    return make_app(MODELS_CSV=str(write_catalog(tmp_path / "m.csv")), SECRETS_FILE=str(secrets))


@pytest.fixture
def small(small_app):
    return small_app.test_client()


def assert_error(response, status):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["success"] is False and body["error"]["code"] == status
    assert body["error"]["message"]
    return body["error"]


def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_models_envelope_and_fields(small):
    body = small.get("/api/models").get_json()
    assert body["success"] is True and body["count"] == 4 == len(body["data"])
    mini = body["data"][0]
    assert set(mini) == MODEL_FIELDS
    assert mini["id"] == "openai/gpt-4o-mini" and mini["provider"] == "OpenAI"
    assert mini["price_per_token"] == pytest.approx(1.5e-7, rel=1e-15)
    assert mini["mmlu_score"] == 82.0 and mini["mmlu_pro_score"] is None
    assert mini["configured"] is True and mini["default"] is True
    gemini = body["data"][2]
    assert (gemini["long_context_threshold"], gemini["long_output_price_per_mtok"]) == (200000, 15.0)
    assert gemini["configured"] is False and gemini["provider"] == "Google"


def test_models_carry_published_quality_scores(make_app, tmp_path):
    quality = tmp_path / "quality.csv"
    quality.write_text("model,benchmark,score,scale,source,date,note\n"
                       "gpt-4o-mini,mmlu_pro,63.1,percent,https://example.com/card,2024-07-18,private note\n"
                       "gpt-4o-mini,lmarena_text,1272,elo,https://lmarena.ai/leaderboard/text,2025-01-10,\n"
                       "llama-3.3-70b,mmlu_pro,68.9,percent,https://example.com/llama,2024-12-06,\n")
    client = make_app(MODELS_CSV=str(write_catalog(tmp_path / "m.csv")), QUALITY_CSV=str(quality)).test_client()
    mini, gpt4o, _, llama = client.get("/api/models").get_json()["data"]
    assert mini["quality"] == {
        "lmarena_text": {"score": 1272.0, "scale": "elo", "source": "https://lmarena.ai/leaderboard/text",
                         "date": "2025-01-10", "served_as": None},
        "mmlu_pro": {"score": 63.1, "scale": "percent", "source": "https://example.com/card", "date": "2024-07-18",
                     "served_as": None}}
    assert mini["mmlu_pro_score"] == 63.1 and llama["mmlu_pro_score"] == 68.9   # the view of quality.mmlu_pro
    assert gpt4o["quality"] == {} and gpt4o["mmlu_pro_score"] is None
    assert client.get("/api/models").get_json()["default_benchmark"] == "mmlu_pro"   # the only percent one


def test_the_bundled_catalog_serves_retired_checkpoints_scores_marked(client):
    body = client.get("/api/models").get_json()
    by_id = {model["id"]: model for model in body["data"]}
    retired = by_id["deepseek/deepseek-v4-flash"]["quality"]
    assert retired and all(score["served_as"] == {"model": "deepseek-v4.1-flash", "since": "2026-09-10",
                                                   "source": "https://api-docs.deepseek.com/updates"}
                           for score in retired.values())
    assert all(score["served_as"] is None for score in by_id["deepseek/deepseek-flash"]["quality"].values())
    assert by_id["groq/gpt-oss-120b"]["mmlu_score"] == 90.0   # quality.csv's mmlu where mmlu.csv has none
    kept = client.post("/api/get_best_price_for_prompt", json={"prompt": "Hi", "min_mmlu": 80}).get_json()["data"]
    assert "groq/gpt-oss-120b" in {item["id"] for item in kept}
    by_mmlu = client.post("/api/get_best_price_for_prompt", json={"prompt": "Hi", "sort": "mmlu"}).get_json()["data"]
    scored = [item["id"] for item in by_mmlu if item["mmlu_score"] is not None]
    assert "groq/gpt-oss-120b" in scored and scored == [item["id"] for item in by_mmlu[:len(scored)]]


def test_factory_honours_quality_csv(make_app, tmp_path):
    bad = tmp_path / "quality.csv"
    bad.write_text("model,benchmark,score,scale,source,date,note\nm,mmlu,101,percent,https://x.example,2025-01-01,\n")
    with pytest.raises(CatalogError, match="line 2, column 'score'"):
        make_app(QUALITY_CSV=str(bad))


@pytest.mark.parametrize("name", ["openai", "OpenAI", "OPENAI", " openai "])
def test_provider_models_match_key_or_name_any_case(small, name):
    body = small.get(f"/api/models/provider/{name}").get_json()
    assert [m["id"] for m in body["data"]] == ["openai/gpt-4o-mini", "openai/gpt-4o"]
    assert body["count"] == 2


def test_unknown_provider_is_404(small):
    error = assert_error(small.get("/api/models/provider/acme"), 404)
    assert "acme" in error["message"]


def test_known_vendor_without_catalog_models_is_404(small):
    assert_error(small.get("/api/models/provider/anthropic"), 404)


def test_providers(small):
    body = small.get("/api/providers").get_json()
    assert body["data"] == [
        {"name": "OpenAI", "key": "openai", "model_count": 2, "configured": True, "reason": None},
        {"name": "Google", "key": "google", "model_count": 1, "configured": False, "reason": "no key"},
        {"name": "Groq", "key": "groq", "model_count": 1, "configured": False, "reason": "no key"}]
    assert body["count"] == 3


@pytest.mark.parametrize("name", ["aws", "AWS Bedrock", "bedrock", "Azure OpenAI", "xai", "x-ai"])
def test_bundled_catalog_provider_aliases(client, name):
    body = client.get(f"/api/models/provider/{name}").get_json()
    assert body["success"] is True and body["count"] > 0


def test_bundled_catalog_serves_every_provider(client):
    keys = {p["key"] for p in client.get("/api/providers").get_json()["data"]}
    assert keys == {"openai", "anthropic", "google", "bedrock", "azure", "mistral", "groq",
                    "deepseek", "xai", "together", "openrouter", "ollama"}
    assert client.get("/api/models").get_json()["count"] >= 60


def test_unknown_route_is_json_404(client):
    assert_error(client.get("/api/nothing-here"), 404)
    assert_error(client.get("/nothing-here"), 404)   # "/" is the page (tests/web)


def test_wrong_method_is_json_405_with_allow(client):
    response = client.delete("/api/models")
    assert_error(response, 405)
    assert "GET" in response.headers["Allow"]


def test_unexpected_exception_is_json_500_without_traceback(small_app):
    @small_app.get("/boom")
    def boom():
        raise RuntimeError("secret internals sk-should-not-leak")

    small_app.testing = False  # let the error handler answer, as in production
    response = small_app.test_client().get("/boom")
    error = assert_error(response, 500)
    assert "sk-should-not-leak" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True) and error["message"]


def test_cors_allows_any_origin_by_default(client):
    response = client.get("/api/models", headers={"Origin": "https://app.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_cors_preflight(client):
    response = client.options("/api/models", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "GET"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_cors_restricted_origins(make_app):
    client = make_app(CORS_ORIGINS=["https://app.example"]).test_client()
    allowed = client.get("/api/models", headers={"Origin": "https://app.example"})
    other = client.get("/api/models", headers={"Origin": "https://evil.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "Access-Control-Allow-Origin" not in other.headers


def test_cors_applies_only_to_api(client):
    assert "Access-Control-Allow-Origin" not in client.get("/health", headers={"Origin": "https://x"}).headers


def test_factory_honours_models_csv(make_app, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("not,a,catalog\n")
    with pytest.raises(CatalogError, match="line 1"):
        make_app(MODELS_CSV=str(bad))


def test_factory_honours_secrets_file(make_app, tmp_path):
    bad = tmp_path / "secrets.yaml"
    bad.write_text("openai: [")
    with pytest.raises(SecretsError):
        make_app(SECRETS_FILE=str(bad))


def test_environment_credentials_mark_providers_configured(make_app, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-env")
    providers = make_app().test_client().get("/api/providers").get_json()["data"]
    configured = {p["key"] for p in providers if p["configured"]}
    assert configured == {"anthropic"}


def test_environment_is_read_at_app_creation(monkeypatch, tmp_path, no_vendor_env):
    monkeypatch.setenv("MODELS_CSV", str(write_catalog(tmp_path / "m.csv")))
    monkeypatch.setenv("SECRETS_FILE", str(tmp_path / "none.yaml"))
    assert create_app().test_client().get("/api/models").get_json()["count"] == 4


def test_catalog_bytes_are_serialized_once(small_app):
    client = small_app.test_client()
    payloads = small_app.extensions["pricing"].payloads
    assert client.get("/api/models").data == payloads.models.body
    assert client.get("/api/providers").data == payloads.providers.body


@pytest.mark.parametrize("path", ["/api/models", "/api/models/provider/openai", "/api/providers"])
def test_catalog_responses_carry_etag_and_answer_304(small, path):
    first = small.get(path)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag.startswith('"') and "max-age" in first.headers["Cache-Control"]
    again = small.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert small.get(path, headers={"If-None-Match": '"stale"'}).status_code == 200


def test_etags_differ_between_payloads_and_follow_the_content(small, make_app, tmp_path):
    etags = {small.get(p).headers["ETag"] for p in ("/api/models", "/api/providers", "/api/models/provider/groq")}
    assert len(etags) == 3
    configured = tmp_path / "s.yaml"
    configured.write_text("groq: {api_key: gsk-x}\n")
    other = make_app(MODELS_CSV=str(write_catalog(tmp_path / "m2.csv")), SECRETS_FILE=str(configured)).test_client()
    assert other.get("/api/models/provider/groq").headers["ETag"] not in etags   # `configured` changed


def test_with_the_example_secrets_copied_no_provider_is_configured_and_each_says_why(make_app, no_vendor_env):
    providers = make_app(SECRETS_FILE=str(REPO / "secrets.yaml.example")).test_client().get("/api/providers")
    data = providers.get_json()["data"]
    assert len(data) == 12 and not [p["key"] for p in data if p["configured"]]
    assert {p["key"]: p["reason"] for p in data} == {
        **{p["key"]: "placeholder key" for p in data if p["key"] != "ollama"}, "ollama": "no address"}
