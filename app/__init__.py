"""Price Runner: compare and call large language models by price."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from app import (admission, catalog, cors, errors, evals, forecast, gateway, health, observability, openapi, pricing,
                 request_body, routing, secrets, security, spend, store, tokens, web)
from app.catalog import CatalogError
from app.config import ConfigError, build_config
from app.secrets import SecretsError

# Errors that mean "this configuration cannot serve": wsgi.py turns them into a clean exit.
STARTUP_ERRORS = (ConfigError, SecretsError, CatalogError)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings, then each package wires itself into app.extensions."""
    settings = build_config(config)
    app = Flask(__name__)
    app.config.update(settings)

    errors.init_app(app)                      # one JSON envelope for every failure
    request_body.init_app(app)                # strict JSON; the 413 holds for chunked bodies too
    observability.init_logging(app, settings) # JSON lines; every secret held below is redacted
    secrets.init_app(app, settings)           # vendor credentials
    store.init_app(app, settings)             # the database engine (lazy) and its CLI
    cors.init_app(app, settings)              # /api/* for browser apps
    admission.init_app(app, settings)         # 503 for what the gunicorn worker could not start in time
    security.init_app(app, settings)          # proxies, rate limits, then the 401 check
    observability.init_app(app, settings)     # outermost WSGI layer (after ProxyFix), first hook
    catalog.init_app(app, settings)           # the live catalog: database snapshot, else the files
    spend.init_app(app, settings)             # ledger, budgets, Idempotency-Key; /api/usage
    tokens.init_app(app, settings)            # the encodings, loaded once
    forecast.init_app(app, settings)          # output forecasts and token factors from the ledger
    pricing.init_app(app, settings)           # catalog payloads, ranking; /api/models, price
    routing.init_app(app, settings)           # adapters, pool, answer cache; /api/send_prompt
    gateway.init_app(app, settings)           # OpenAI-compatible /v1 over the same router; its error format
    evals.init_app(app, settings)             # graded prompts through the router; /api/evals
    health.init_app(app)                      # /health, /ready
    web.init_app(app, settings)               # the page at / and its static assets
    openapi.init_app(app, settings)           # last: documents what the others registered
    return app
