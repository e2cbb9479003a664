"""Rate limits (Flask-Limiter): per client and route, 429 in the JSON envelope with Retry-After.

The client is the authenticated caller (API key fingerprint or JWT subject), else the
client address (which ProxyFix sets from X-Forwarded-For only when TRUSTED_PROXIES > 0).
"""
from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from functools import partial
from typing import Any

from flask import Flask, Response, request
from flask_limiter import Limiter, RateLimitExceeded
from limits.errors import ConfigurationError

from app.config import ConfigError
from app.errors import error_response
from app.redis_options import redis_options
from app.security.gate import METRICS_ENDPOINT, OPEN_ENDPOINTS, current_principal

log = logging.getLogger(__name__)
SEND_PROMPT = "routing.send_prompt"
# Endpoints that call vendors: RATELIMIT_SEND_PROMPT applies to each (its own counter per endpoint).
VENDOR_CALLS = frozenset({SEND_PROMPT, "gateway.chat_completions", "evals.run_eval"})
EXEMPT_ENDPOINTS = OPEN_ENDPOINTS | {METRICS_ENDPOINT}
KEY_PREFIX = "price-runner"
UNMATCHED = "<unmatched>"


def client_key() -> str:
    """The rate-limit key: the authenticated caller, else the client address."""
    principal = current_principal()
    return str(principal) if principal else f"addr:{request.remote_addr}"


def build_limiter(settings: Mapping[str, Any]) -> Limiter:
    """Create the (unbound) limiter from RATELIMIT_* settings."""
    uri = settings["RATELIMIT_STORAGE_URI"]
    # A stalled Redis must not stall every request: the one short Redis timeout.
    options = redis_options(settings) if uri.startswith(("redis://", "rediss://")) else {}
    # One dynamic default limit, evaluated before the view (and before the 401 check): the
    # send_prompt limit on the endpoints that call vendors, RATELIMIT_DEFAULT elsewhere; "" means no limit.
    route_limit = partial(_route_limit, settings["RATELIMIT_DEFAULT"], settings["RATELIMIT_SEND_PROMPT"])
    limiter = Limiter(client_key, default_limits=[route_limit], storage_uri=uri, storage_options=options,
                      strategy="fixed-window", key_prefix=KEY_PREFIX, headers_enabled=False,
                      # Requests no route matches (404, 405) share one limit instead of none.
                      request_identifier=lambda: request.endpoint or UNMATCHED,
                      # Storage down: count in memory per worker until it is back, rather than 500.
                      in_memory_fallback_enabled=True, swallow_errors=True)
    limiter.request_filter(_exempt)
    return limiter


def init_rate_limits(app: Flask, settings: Mapping[str, Any]) -> Limiter | None:
    """Limit every route per client (RATELIMIT_DEFAULT, RATELIMIT_SEND_PROMPT); 429 as JSON."""
    if not settings["RATELIMIT_ENABLED"]:
        return None
    limiter = build_limiter(settings)
    try:
        limiter.init_app(app)
    except ConfigurationError as exc:
        raise ConfigError(f"RATELIMIT_STORAGE_URI: {exc}") from None
    app.register_error_handler(RateLimitExceeded, partial(_too_many_requests, limiter))
    return limiter


def _route_limit(default: str, send_prompt: str) -> str:
    # Like a decorated limit, RATELIMIT_SEND_PROMPT replaces the default on its endpoint.
    return send_prompt if send_prompt and request.endpoint in VENDOR_CALLS else default


def _exempt() -> bool:
    return request.method == "OPTIONS" or request.endpoint in EXEMPT_ENDPOINTS


def _too_many_requests(limiter: Limiter, exc: RateLimitExceeded) -> Response:
    retry_after = _retry_after(limiter, exc)
    return error_response(429, f"Too many requests: the limit is {exc.limit.limit}. "
                               f"Retry after {retry_after} s.", headers={"Retry-After": str(retry_after)})


def _retry_after(limiter: Limiter, exc: RateLimitExceeded) -> int:
    """Whole seconds until the window resets (1 to the window's length)."""
    window = exc.limit.limit.get_expiry()
    try:
        current = limiter.current_limit
        if current is not None:
            return min(window, max(1, math.ceil(current.window.reset_time - time.time())))
    except Exception:   # the storage may have failed since the check; the window length is a safe answer
        log.warning("could not read the rate-limit window; answering with its full length")
    return max(1, window)
