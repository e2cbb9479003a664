"""Price Runner: compare and call large language models by price."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_cors import CORS

from app.catalog import CatalogError, InMemoryCatalog, load_models
from app.catalog.selection import NameIndex
from app.config import ConfigError, build_config
from app.errors import register_error_handlers
from app.observability import init_observability, observe_call, openapi_paths
from app.observability.logs import configure_logging
from app.observability.redaction import held_secrets
from app.pricing.catalog_payloads import CatalogPayloads
from app.pricing.ranking import RankingTable
from app.providers.registry import is_configured, make_adapter
from app.providers.vendors import VENDORS
from app.request_body import init_app as init_request_bodies
from app.routing.answer_cache import AnswerCache, answer_cache
from app.routing.dispatch import Dispatcher
from app.routing.service import CallLimits, PromptRouter
from app.secrets import Credentials, SecretsError, load_credentials
from app.security import build_authenticator, init_security, trust_proxies
from app.services import Services
from app.tokens.counter import TokenCounter

# Errors that mean "this configuration cannot serve": wsgi.py turns them into a clean exit.
STARTUP_ERRORS = (ConfigError, SecretsError, CatalogError)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: config, secrets, catalog, encodings, services, blueprints, error handlers."""
    settings = build_config(config)
    app = Flask(__name__)
    app.config.update(settings)

    credentials = load_credentials(settings["SECRETS_FILE"])
    authenticator = build_authenticator(settings)
    configure_logging(settings["LOG_LEVEL"], held_secrets(credentials, VENDORS, authenticator))
    catalog = InMemoryCatalog(load_models(settings["MODELS_CSV"], VENDORS.keys()))
    configured = frozenset(key for key, vendor in VENDORS.items()
                           if is_configured(vendor, credentials.settings(key)))
    names = {key: vendor.name for key, vendor in VENDORS.items()}
    tokens = TokenCounter.load(settings["TIKTOKEN_CACHE_DIR"])
    app.extensions["price_runner"] = Services(
        config=settings, catalog=catalog, names=NameIndex(catalog), credentials=credentials, configured=configured,
        payloads=CatalogPayloads(catalog, names, configured), tokens=tokens,
        ranking=RankingTable(catalog.all(), names),
        router=_router(settings, credentials, configured, tokens, answer_cache(app, settings)))

    origins = settings["CORS_ORIGINS"]
    CORS(app, resources={r"/api/*": {"origins": origins}}, send_wildcard=origins == "*")
    register_error_handlers(app)
    init_request_bodies(app)   # strict JSON; the 413 holds for chunked bodies too
    trust_proxies(app, settings["TRUSTED_PROXIES"])
    init_observability(app, settings)   # outermost WSGI layer, first before_request hook
    init_security(app, settings, authenticator)   # rate limits, then the 401 check
    _register_blueprints(app)
    return app


def _router(settings: Mapping[str, Any], credentials: Credentials, configured: frozenset[str],
            tokens: TokenCounter, cache: AnswerCache) -> PromptRouter:
    adapters = {key: make_adapter(VENDORS[key], credentials.settings(key)) for key in configured}
    limits = CallLimits(deadline_s=settings["PROVIDER_TIMEOUT"],
                        connect_timeout_s=settings["PROVIDER_CONNECT_TIMEOUT"],
                        max_retries=settings["PROVIDER_MAX_RETRIES"])
    dispatcher = Dispatcher(settings["PROVIDER_POOL_SIZE"], settings["PROVIDER_MAX_CONCURRENCY"])
    return PromptRouter(adapters, credentials.settings("azure").get("deployments", {}),
                        tokens, dispatcher, limits, observer=observe_call, cache=cache)


def _register_blueprints(app: Flask) -> None:
    from app import health
    from app.pricing import views as pricing
    from app.openapi.views import init_docs
    from app.routing import views as routing

    for blueprint in (health.bp, pricing.bp, routing.bp):
        app.register_blueprint(blueprint)
    init_docs(app, {**health.OPENAPI_PATHS, **openapi_paths(app)})
