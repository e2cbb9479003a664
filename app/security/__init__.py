"""Security: trusted proxies, authentication (API keys, JWT) and rate limits."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from app import lifecycle
from app.redaction import hold
from app.security.gate import CREDENTIAL_HEADERS, AuthGate, auth_problem, build_authenticator
from app.security.proxies import trust_proxies
from app.security.rate_limits import init_rate_limits

__all__ = ["CREDENTIAL_HEADERS", "auth_problem", "init_app"]


def init_app(app: Flask, settings: Mapping[str, Any]) -> None:
    """Proxies, then rate limits, then the authentication check (failed attempts are limited too).

    Raises ConfigError when the authentication settings or the rate-limit storage are unusable.
    """
    store = app.extensions.get("store")
    authenticator = build_authenticator(settings, store.engine if store else None)
    trust_proxies(app, settings["TRUSTED_PROXIES"])
    init_rate_limits(app, settings)
    if authenticator is not None:
        hold(app, authenticator.secrets())
        AuthGate(authenticator, settings["METRICS_REQUIRE_AUTH"]).init_app(app)
    ring = getattr(authenticator, "ring", None)
    if ring is not None:   # database keys: reloaded in each worker, idle or not
        lifecycle.every(app, "key-ring", ring.refresh_s, ring.reload)
