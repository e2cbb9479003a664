"""Rate limits (Flask-Limiter): per client and route, 429 in the path's error format with Retry-After.

The client is the authenticated caller (API key fingerprint or JWT subject), else the
client address (which ProxyFix sets from X-Forwarded-For only when TRUSTED_PROXIES > 0).
Every 429 of ours also carries OpenAI's x-ratelimit-*-requests headers, so agents and SDKs
can pace themselves, and the code ``rate_limit_exceeded`` (a vendor's 429 on /v1 is
``vendor_rate_limited``).
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
# Endpoints that call vendors on our API: RATELIMIT_SEND_PROMPT applies to each (its own counter per endpoint).
VENDOR_CALLS = frozenset({SEND_PROMPT, "evals.run_eval"})
GATEWAY = "gateway."   # every /v1 endpoint: RATELIMIT_V1 (agents loop on these)
EXEMPT_ENDPOINTS = OPEN_ENDPOINTS | {METRICS_ENDPOINT}
KEY_PREFIX = "price-runner"
UNMATCHED = "<unmatched>"
LIMIT_HEADER = "x-ratelimit-limit-requests"
REMAINING_HEADER = "x-ratelimit-remaining-requests"
RESET_HEADER = "x-ratelimit-reset-requests"


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
    route_limit = partial(_route_limit, settings["RATELIMIT_DEFAULT"], settings["RATELIMIT_SEND_PROMPT"],
                          settings["RATELIMIT_V1"])
    limiter = Limiter(client_key, default_limits=[route_limit], storage_uri=uri, storage_options=options,
                      strategy="fixed-window", key_prefix=KEY_PREFIX, headers_enabled=False,
                      # Requests no route matches (404, 405) share one limit instead of none.
                      request_identifier=lambda: request.endpoint or UNMATCHED,
                      # Storage down: count in memory per worker until it is back, rather than 500.
                      in_memory_fallback_enabled=True, swallow_errors=True)
    limiter.request_filter(_exempt)
    return limiter


def init_rate_limits(app: Flask, settings: Mapping[str, Any]) -> Limiter | None:
    """Limit every route per client (RATELIMIT_DEFAULT, RATELIMIT_SEND_PROMPT, RATELIMIT_V1); 429 as JSON."""
    if not settings["RATELIMIT_ENABLED"]:
        return None
    limiter = build_limiter(settings)
    try:
        limiter.init_app(app)
    except ConfigurationError as exc:
        raise ConfigError(f"RATELIMIT_STORAGE_URI: {exc}") from None
    app.register_error_handler(RateLimitExceeded, partial(_too_many_requests, limiter))
    app.after_request(partial(_pace_headers, limiter))
    return limiter


def _route_limit(default: str, send_prompt: str, v1: str) -> str:
    # Like a decorated limit, RATELIMIT_SEND_PROMPT / RATELIMIT_V1 replace the default on their endpoints.
    endpoint = request.endpoint or ""
    if endpoint.startswith(GATEWAY):
        return v1 or default
    return send_prompt if send_prompt and endpoint in VENDOR_CALLS else default


def _exempt() -> bool:
    return request.method == "OPTIONS" or request.endpoint in EXEMPT_ENDPOINTS


def _too_many_requests(limiter: Limiter, exc: RateLimitExceeded) -> Response:
    window = exc.limit.limit.get_expiry()
    try:
        reset_in, remaining = _left(limiter.current_limit, window)
    except Exception:   # the storage may have failed since the check; the window length is a safe answer
        log.warning("could not read the rate-limit window; answering with its full length")
        reset_in, remaining = float(window), 0
    retry_after = min(window, max(1, math.ceil(reset_in)))
    headers = {"Retry-After": str(retry_after), **_openai_headers(exc.limit.limit.amount, remaining, reset_in)}
    return error_response(429, f"Too many requests: the limit is {exc.limit.limit}. Retry after {retry_after} s.",
                          headers=headers, code="rate_limit_exceeded", fixed=True)


def _pace_headers(limiter: Limiter, response: Response) -> Response:
    """On /v1, every answer within the limit carries the x-ratelimit-* headers too, as OpenAI's do."""
    if response.status_code != 429 and (request.endpoint or "").startswith(GATEWAY):
        try:
            current = limiter.current_limit
            if current is not None:
                reset_in, remaining = _left(current, current.limit.get_expiry())
                response.headers.update(_openai_headers(current.limit.amount, remaining, reset_in))
        except Exception:   # the storage failed since the check: this answer goes without them
            pass
    return response


def _left(current: Any, window: int) -> tuple[float, int]:
    """Seconds until the window resets and the requests left in it, as the storage counts them."""
    if current is None:
        return float(window), 0
    reset_at, remaining = current.window
    return min(float(window), max(0.0, reset_at - time.time())), max(0, int(remaining))


def _openai_headers(limit: int, remaining: int, reset_in: float) -> dict[str, str]:
    # As OpenAI sends them: the limit, what is left of it now, and when it is whole again.
    return {LIMIT_HEADER: str(limit), REMAINING_HEADER: str(remaining), RESET_HEADER: duration(reset_in)}


def duration(seconds: float) -> str:
    """A duration as OpenAI writes it in x-ratelimit-reset-*: ``20ms``, ``6s``, ``1.5s``, ``6m0s``, ``1h2m3s``."""
    millis = max(0, round(seconds * 1000))
    if millis < 1000:
        return f"{millis}ms"
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs = f"{rest / 1000:.3f}".rstrip("0").rstrip(".")
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if hours or minutes else "") + f"{secs}s"
