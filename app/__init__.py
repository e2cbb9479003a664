"""Price Runner: compare and call large language models by price."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_cors import CORS

from app.catalog import CatalogError, InMemoryCatalog, load_models
from app.config import ConfigError, build_config
from app.errors import register_error_handlers
from app.logging_setup import configure_logging
from app.pricing.catalog_payloads import CatalogPayloads
from app.providers.vendors import VENDORS
from app.secrets import SecretsError, load_credentials
from app.services import Services

# Errors that mean "this configuration cannot serve": wsgi.py turns them into a clean exit.
STARTUP_ERRORS = (ConfigError, SecretsError, CatalogError)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: config, secrets, catalog, services, blueprints, error handlers."""
    settings = build_config(config)
    configure_logging(settings["LOG_LEVEL"])
    app = Flask(__name__)
    app.config.update(settings)

    credentials = load_credentials(settings["SECRETS_FILE"])
    catalog = InMemoryCatalog(load_models(settings["MODELS_CSV"], VENDORS.keys()))
    configured = _configured_vendors(credentials)
    names = {key: vendor.name for key, vendor in VENDORS.items()}
    app.extensions["price_runner"] = Services(
        config=settings, catalog=catalog, credentials=credentials, configured=configured,
        payloads=CatalogPayloads(catalog, names, configured))

    CORS(app, resources={r"/api/*": {"origins": settings["CORS_ORIGINS"]}})
    register_error_handlers(app)
    _register_blueprints(app)
    return app


def _configured_vendors(credentials) -> frozenset[str]:
    from app.providers.registry import is_configured

    return frozenset(key for key, vendor in VENDORS.items()
                     if is_configured(vendor, credentials.settings(key)))


def _register_blueprints(app: Flask) -> None:
    from app import health
    from app.pricing import views as pricing

    app.register_blueprint(health.bp)
    app.register_blueprint(pricing.bp)
