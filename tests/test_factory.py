"""The factory honours each send_prompt and catalog setting (operations settings: test_operations_config)."""
from cachelib import RedisCache

from app.store.answer_cache import DatabaseBackend


def router_of(app):
    return app.extensions["routing"]


def test_provider_settings_reach_the_router(make_app):
    router = router_of(make_app(PROVIDER_TIMEOUT=7.5, PROVIDER_CONNECT_TIMEOUT=1.5, PROVIDER_MAX_RETRIES=4,
                                PROVIDER_POOL_SIZE=12, PROVIDER_MAX_CONCURRENCY=3, PROVIDER_MAX_RESPONSE_BYTES=999))
    assert (router._limits.deadline_s, router._limits.connect_timeout_s, router._limits.max_retries) == (7.5, 1.5, 4)
    assert router._limits.max_response_bytes == 999
    assert (router._dispatcher._pool_size, router._dispatcher._max_per_vendor) == (12, 3)


def test_answer_cache_is_in_the_database_by_default_with_its_ttl_and_bounds(make_app):
    app = make_app(ANSWER_CACHE_TTL=42, ANSWER_CACHE_MAX_BYTES=5000, ANSWER_CACHE_MAX_ITEM_BYTES=700,
                   ANSWER_CACHE_SCOPE="shared")
    cache = router_of(app)._cache
    assert isinstance(cache._backend, DatabaseBackend) and cache._ttl == 42
    assert cache._backend._engine is app.extensions["store"].engine and cache._backend._max_bytes == 5000
    assert (cache._max_item_bytes, cache._scope) == (700, "shared")


def test_cache_redis_url_selects_redis(make_app):
    cache = router_of(make_app(CACHE_REDIS_URL="redis://127.0.0.1:1/0"))._cache   # not contacted until used
    assert isinstance(cache._backend, RedisCache)


def test_an_unreachable_redis_is_a_cache_miss_not_an_error(make_app):
    from app.providers.base import PromptRequest

    cache = router_of(make_app(CACHE_REDIS_URL="redis://127.0.0.1:1/0"))._cache
    request = PromptRequest("p", None, 10, None, model="m")
    assert cache.get("openai", request, "anonymous") is None
    cache.set("openai", request, "anonymous", {"response": "x"})   # logged, not raised


def test_max_content_length_and_models_csv(make_app, tmp_path):
    from tests.catalog_rows import write_catalog

    app = make_app(MAX_CONTENT_LENGTH=1234, MODELS_CSV=str(write_catalog(tmp_path / "m.csv")))
    assert app.config["MAX_CONTENT_LENGTH"] == 1234
    assert len(app.extensions["catalog"].all()) == 4


def test_azure_deployments_come_from_the_secrets_file(make_app, tmp_path):
    secrets = tmp_path / "s.yaml"
    secrets.write_text("azure: {api_key: k, endpoint: 'https://r.example', deployments: {gpt-6.1-sol: mine}}\n")
    app = make_app(SECRETS_FILE=str(secrets))
    adapter = router_of(app)._adapters["azure"]
    assert adapter.api_model(app.extensions["catalog"].get("azure/gpt-6.1-sol")) == "mine"
    assert adapter.api_model(app.extensions["catalog"].get("azure/gpt-6-luna")) == "gpt-6-luna"
