"""The authentication gate: which requests need credentials, and who sent them.

The caller is worked out once per request (cached on flask.g) and used twice: as the
rate-limit key (so failed attempts are limited per address) and by the check that answers
401. CORS preflights, /health, /ready and the pages (/, /api/docs, their static files) never
need credentials; /metrics only with METRICS_REQUIRE_AUTH.
"""
from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from flask import Flask, current_app, g, has_app_context, request

from app.errors import APIError
from app.observability import annotate_request
from app.security.api_keys import ApiKeyAuthenticator, read_api_keys
from app.security.base import AuthFailure, Authenticator, Principal
from app.security.jwt_auth import jwt_authenticator
from app.security.key_ring import KeyRing

EXTENSION = "price_runner.auth"
OPEN_ENDPOINTS = frozenset({"health.health", "health.ready"})
# Pages and their files hold no data (a browser cannot send a key when it opens a page); the
# API calls they make carry the key typed into them. Rate limited like any route.
PAGE_ENDPOINTS = frozenset({"web.index", "web.static", "docs.docs", "docs.static", "swagger_ui.static"})
METRICS_ENDPOINT = "observability.metrics"
REALM = 'Bearer realm="price-runner"'
# Request headers that carry credentials, by AUTH_MODE: responses that depend on them Vary on them.
CREDENTIAL_HEADERS = {"api_key": ("Authorization", "X-API-Key"), "jwt": ("Authorization",)}


def build_authenticator(settings: Mapping[str, Any], engine: Any = None) -> Authenticator | None:
    """Return the authenticator AUTH_MODE asks for (None for none); ConfigError if misconfigured.

    With a database ``engine``, API keys created with `keys create` are accepted too.
    """
    mode = settings["AUTH_MODE"]
    if mode == "api_key":
        ring = KeyRing(partial(_live_keys, engine), settings["CATALOG_REFRESH_S"]) if engine is not None else None
        return ApiKeyAuthenticator(read_api_keys(settings["API_KEYS"], settings["API_KEYS_FILE"]), ring)
    if mode == "jwt":
        return jwt_authenticator(settings)
    return None


def _live_keys(engine: Any) -> dict[str, str]:
    from app.store.engine import reading
    from app.store.keys import live_key_hashes

    with reading(engine) as session:
        return live_key_hashes(session)


class AuthGate:
    """Authenticate requests to protected endpoints; answer 401 without valid credentials."""

    def __init__(self, authenticator: Authenticator, protect_metrics: bool):
        self._authenticator = authenticator
        self._protect_metrics = protect_metrics

    def init_app(self, app: Flask) -> None:
        app.extensions[EXTENSION] = self
        app.before_request(self.check)
        # Fetch remote keys (JWKS) now that logging is set up; a failure does not stop the
        # start: requests get 401 and /ready says why until the keys arrive.
        self.problem()

    def problem(self) -> str | None:
        """Why credentials cannot be verified now, else None."""
        return self._authenticator.problem()

    def protects(self, endpoint: str | None, method: str) -> bool:
        """Tell whether a request to this endpoint needs credentials (404s do: nothing leaks)."""
        if method == "OPTIONS" or endpoint in OPEN_ENDPOINTS or endpoint in PAGE_ENDPOINTS:
            return False
        return self._protect_metrics if endpoint == METRICS_ENDPOINT else True

    def outcome(self) -> Principal | AuthFailure | None:
        """This request's caller, or why there is none; None when the endpoint is open."""
        if "auth_outcome" not in g:
            outcome = None
            if self.protects(request.endpoint, request.method):
                try:
                    outcome = self._authenticator.authenticate(request.headers)
                    annotate_request(principal=str(outcome))
                except AuthFailure as failure:
                    outcome = failure
            g.auth_outcome = outcome
        return g.auth_outcome

    def check(self) -> None:
        """before_request: raise 401 (with WWW-Authenticate) when credentials are missing or wrong."""
        outcome = self.outcome()
        if isinstance(outcome, AuthFailure):
            challenge = REALM if outcome.error is None else f'{REALM}, error="{outcome.error}"'
            raise APIError(401, outcome.message, headers={"WWW-Authenticate": challenge})


def current_principal() -> Principal | None:
    """The authenticated caller of this request, if any."""
    gate: AuthGate | None = current_app.extensions.get(EXTENSION)
    outcome = gate.outcome() if gate else None
    return outcome if isinstance(outcome, Principal) else None


def auth_problem() -> str | None:
    """Why this app cannot verify credentials now (JWKS not fetched yet), else None."""
    gate: AuthGate | None = current_app.extensions.get(EXTENSION) if has_app_context() else None
    return gate.problem() if gate else None


ANONYMOUS = "anonymous"   # the caller when authentication is off


def current_caller() -> str:
    """This request's principal by name (a key's name, a JWT's sub), or ANONYMOUS: what the
    ledger, budgets, usage, idempotency keys and the answer cache's scope call the caller."""
    principal = current_principal()
    return principal.name if principal else ANONYMOUS
