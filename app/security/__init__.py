"""Security: authentication (API keys, JWT), rate limits, trusted proxies."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from app.security.base import Authenticator
from app.security.gate import CREDENTIAL_HEADERS, AuthGate, auth_problem, build_authenticator
from app.security.proxies import trust_proxies
from app.security.rate_limits import init_rate_limits

__all__ = ["CREDENTIAL_HEADERS", "auth_problem", "build_authenticator", "init_security", "trust_proxies"]


def init_security(app: Flask, settings: Mapping[str, Any], authenticator: Authenticator | None) -> None:
    """Rate limits first, then the authentication check, so failed attempts are limited too.

    Raises ConfigError when the rate-limit storage URI is unusable.
    """
    init_rate_limits(app, settings)
    if authenticator is not None:
        AuthGate(authenticator, settings["METRICS_REQUIRE_AUTH"]).init_app(app)
