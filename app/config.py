"""Settings: defaults, overridden by the environment, overridden by the factory's argument.

Nothing here runs at import time; ``build_config`` is called by ``create_app``.
"""
from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """A setting has a value the service cannot run with."""


def _int(raw: str) -> int:
    return int(raw)


def _float(raw: str) -> float:
    return float(raw)


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def _origins(raw: str) -> list[str] | str:
    origins = [origin.strip() for origin in raw.split(",") if origin.strip()]
    return "*" if origins in ([], ["*"]) else origins


def _names(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _usd(raw: str) -> Decimal:
    try:
        amount = Decimal(raw.strip())
    except InvalidOperation:
        raise ValueError(f"expected a USD amount such as 5 or 0.25, got {raw!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"expected a USD amount of 0 or more, got {raw!r}")
    return amount


def _lower(raw: str) -> str:
    return raw.strip().lower()


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in LOG_LEVELS:
        raise ValueError(f"expected one of {', '.join(LOG_LEVELS)}, got {raw!r}")
    return level


# name -> (default, parser for the environment's string)
SETTINGS: dict[str, tuple[Any, Callable[[str], Any]]] = {
    # gunicorn.conf.py reads these through build_config too: one parser for every setting.
    "PORT": (3001, _int),
    "HOST": (None, str.strip),      # gunicorn bind address; default 0.0.0.0, or 127.0.0.1 behind a proxy
    "WEB_CONCURRENCY": (2, _int),
    "GUNICORN_THREADS": (8, _int),
    "GUNICORN_CONTROL_SOCKET": (None, str),
    "PROMETHEUS_MULTIPROC_DIR": (None, str),
    "LOG_LEVEL": ("INFO", _log_level),
    "LOG_FLUSH_INTERVAL_MS": (10, _int),   # log lines are written in batches this often (0: each at once)
    "CORS_ORIGINS": ("*", _origins),
    "MODELS_CSV": (str(PROJECT_ROOT / "models.csv"), str),
    "QUALITY_CSV": (str(PROJECT_ROOT / "quality.csv"), str),
    # What each model_name supports (tools, structured output, reasoning, vision); None: the
    # capabilities.csv beside MODELS_CSV, or none (every capability unknown) when there is no such file.
    "CAPABILITIES_CSV": (None, str),
    # Storage (issue 11): None means SQLite in the instance folder / price_history.csv beside MODELS_CSV.
    "DATABASE_URL": (None, str.strip),
    "CATALOG_REFRESH_S": (30.0, _float),   # how often a worker looks for a new catalog version
    "PRICE_HISTORY_CSV": (None, str),
    # Output predictions and tokenizer calibration from the ledger (app/forecast): rebuilt this often,
    # over this many days of calls, with at least these many samples.
    "FORECAST_REFRESH_S": (60.0, _float),
    "FORECAST_WINDOW_DAYS": (30, _int),
    "FORECAST_MIN_SAMPLES": (10, _int),
    "CALIBRATION_MIN_SAMPLES": (30, _int),
    "SECRETS_FILE": ("secrets.yaml", str),
    "MAX_CONTENT_LENGTH": (20 * 1024 * 1024, _int),
    "TIKTOKEN_CACHE_DIR": (None, str),
    "PROVIDER_TIMEOUT": (30.0, _float),
    # Shutdown (issue 15): seconds gunicorn's workers get to finish in-flight requests after
    # SIGTERM (None: PROVIDER_TIMEOUT rounded up + 15), and the file whose presence makes /ready answer 503
    # (a Kubernetes preStop hook creates it, so the pod leaves the load balancer first).
    "GRACEFUL_TIMEOUT": (None, _int),
    "DRAIN_FILE": (None, str.strip),
    "PROVIDER_CONNECT_TIMEOUT": (3.05, _float),
    "PROVIDER_MAX_RETRIES": (2, _int),
    "PROVIDER_POOL_SIZE": (None, _int),   # None: GUNICORN_THREADS x SEND_PROMPT_MAX_MODELS
    "PROVIDER_MAX_CONCURRENCY": (16, _int),
    "PROVIDER_MAX_RESPONSE_BYTES": (4 * 1024 * 1024, _int),
    # Streams (issue 13): PROVIDER_TIMEOUT bounds the wait for the first token; these the rest.
    "STREAM_IDLE_TIMEOUT": (30.0, _float),    # the most seconds between two chunks of an answer
    "STREAM_MAX_DURATION": (600.0, _float),   # the most seconds one streamed answer may take
    "ANSWER_CACHE_TTL": (3600, _int),
    "ANSWER_CACHE_SCOPE": ("principal", _lower),
    "ANSWER_CACHE_MAX_BYTES": (64 * 1024 * 1024, _int),
    "ANSWER_CACHE_MAX_ITEM_BYTES": (1024 * 1024, _int),
    "CACHE_REDIS_URL": (None, str),
    "REDIS_TIMEOUT_S": (0.5, _float),   # seconds every Redis client (answer cache, rate limits) waits to connect or for a reply
    "SEND_PROMPT_MAX_MODELS": (10, _int),
    # Evals (issue 12): the most prompts per eval, prompts x models per eval, prompts run at once.
    "EVAL_MAX_PROMPTS": (50, _int),
    "EVAL_MAX_CALLS": (100, _int),
    "EVAL_CONCURRENCY": (4, _int),
    "EVAL_GRADE_TIMEOUT_S": (1.0, _float),   # the most CPU seconds grading one answer may take (then grader_timeout)
    # Spend (issue 11): USD per principal per UTC day / month (None: no limit), overrides by name,
    # and the principals that see everyone's usage.
    "BUDGET_DAILY_USD": (None, _usd),
    "BUDGET_MONTHLY_USD": (None, _usd),
    "BUDGETS_FILE": (None, str),
    "USAGE_ADMIN_KEYS": ((), _names),
    # Operations (issue 5): metrics, logs, rate limits, proxies, authentication.
    "METRICS_ENABLED": (True, _bool),
    "METRICS_REQUIRE_AUTH": (False, _bool),
    "LOG_PROMPTS": (False, _bool),
    "RATELIMIT_ENABLED": (True, _bool),
    "RATELIMIT_DEFAULT": ("120/minute", str.strip),
    "RATELIMIT_SEND_PROMPT": ("20/minute", str.strip),
    "RATELIMIT_STORAGE_URI": ("memory://", str.strip),
    "TRUSTED_PROXIES": (0, _int),
    "AUTH_MODE": ("none", _lower),
    "API_KEYS": ((), _names),
    "API_KEYS_FILE": (None, str),
    "JWT_SECRET": (None, str),
    "JWT_PUBLIC_KEY": (None, str),
    "JWT_ALGORITHM": (None, str.strip),
    "JWT_AUDIENCE": (None, str),
    "JWT_ISSUER": (None, str),
    # Identity providers and browsers (issue 9).
    "JWT_JWKS_URL": (None, str.strip),
    "JWT_JWKS_FILE": (None, str),
    "JWT_LEEWAY": (30.0, _float),
    "JWT_AUTHORIZED_PARTY": (None, str),
    "JWT_SUBJECT_CLAIM": ("sub", str.strip),   # the claim naming a JWT's caller (ledger, budgets); a token without it gets 401
    "CORS_MAX_AGE": (600, _int),
}


def build_config(overrides: Mapping[str, Any] | None = None,
                 environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return every setting: the factory argument first, then the environment, then defaults."""
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    config: dict[str, Any] = {}
    for name, (default, parse) in SETTINGS.items():
        if name in overrides:
            config[name] = overrides.pop(name)
        elif environ.get(name, "") != "":
            try:
                config[name] = parse(environ[name])
            except ValueError as exc:
                raise ConfigError(f"environment variable {name}: {exc}") from exc
        else:
            config[name] = default
    config.update(overrides)  # Flask's own keys (TESTING, ...) pass straight through
    if config["PROVIDER_POOL_SIZE"] is None:
        config["PROVIDER_POOL_SIZE"] = _pool_size(config)
    if config["GRACEFUL_TIMEOUT"] is None:
        config["GRACEFUL_TIMEOUT"] = _graceful_timeout(config)
    _check(config)
    return config


def _pool_size(config: Mapping[str, Any]) -> int:
    # Enough threads for every request thread of a worker to call its most models at once, so
    # traffic within the documented limits never waits for (or is refused) a provider thread.
    try:
        return int(config["GUNICORN_THREADS"]) * int(config["SEND_PROMPT_MAX_MODELS"])
    except (TypeError, ValueError):
        raise ConfigError("GUNICORN_THREADS and SEND_PROMPT_MAX_MODELS must be integers") from None


# What a request may still need after its provider deadline: the ledger write, the answer.
SHUTDOWN_MARGIN_S = 15


def _graceful_timeout(config: Mapping[str, Any]) -> int:
    try:   # whole seconds, as gunicorn and Kubernetes take them
        return math.ceil(float(config["PROVIDER_TIMEOUT"])) + SHUTDOWN_MARGIN_S
    except (TypeError, ValueError):
        raise ConfigError("PROVIDER_TIMEOUT must be a number of seconds") from None


def check_config(config: Mapping[str, Any]) -> None:
    """Raise ConfigError if the settings cannot serve (run at start-up and by /ready)."""
    _check(config)


def _check(config: Mapping[str, Any]) -> None:
    # GUNICORN_THREADS and SEND_PROMPT_MAX_MODELS first: the pool's default derives from them.
    positive = ("MAX_CONTENT_LENGTH", "PROVIDER_TIMEOUT", "PROVIDER_CONNECT_TIMEOUT", "GUNICORN_THREADS",
                "SEND_PROMPT_MAX_MODELS", "PROVIDER_POOL_SIZE", "PROVIDER_MAX_CONCURRENCY",
                "ANSWER_CACHE_TTL", "PROVIDER_MAX_RESPONSE_BYTES", "ANSWER_CACHE_MAX_BYTES",
                "ANSWER_CACHE_MAX_ITEM_BYTES", "REDIS_TIMEOUT_S", "WEB_CONCURRENCY", "CATALOG_REFRESH_S", "STREAM_IDLE_TIMEOUT",
                "STREAM_MAX_DURATION", "FORECAST_REFRESH_S", "FORECAST_WINDOW_DAYS", "FORECAST_MIN_SAMPLES",
                "CALIBRATION_MIN_SAMPLES",
                "EVAL_MAX_PROMPTS", "EVAL_MAX_CALLS", "EVAL_CONCURRENCY", "EVAL_GRADE_TIMEOUT_S")
    for name in positive:
        if not config[name] > 0:
            raise ConfigError(f"{name} must be positive, got {config[name]!r}")
    if not 0 < config["PORT"] < 65536:
        raise ConfigError(f"PORT must be a TCP port (1-65535), got {config['PORT']!r}")
    if config["ANSWER_CACHE_SCOPE"] not in CACHE_SCOPES:
        raise ConfigError(f"ANSWER_CACHE_SCOPE must be one of {', '.join(CACHE_SCOPES)}, "
                          f"got {config['ANSWER_CACHE_SCOPE']!r}")
    if not config["GRACEFUL_TIMEOUT"] > config["PROVIDER_TIMEOUT"]:
        # A shorter grace would kill calls in flight before their deadline: billed, never recorded.
        raise ConfigError(f"GRACEFUL_TIMEOUT must be longer than PROVIDER_TIMEOUT "
                          f"({config['PROVIDER_TIMEOUT']!r}), got {config['GRACEFUL_TIMEOUT']!r}")
    if config["PROVIDER_MAX_RETRIES"] < 0:
        raise ConfigError(f"PROVIDER_MAX_RETRIES must be 0 or more, got {config['PROVIDER_MAX_RETRIES']!r}")
    _check_operations(config)


CACHE_SCOPES = ("principal", "shared")
AUTH_MODES = ("none", "api_key", "jwt")
JWT_ALGORITHMS = ("HS256", "RS256", "ES256")
JWT_KEY_SOURCES = ("JWT_SECRET", "JWT_PUBLIC_KEY", "JWT_JWKS_URL", "JWT_JWKS_FILE")
STORAGE_SCHEMES = ("memory", "redis", "rediss", "redis+unix", "redis+sentinel", "redis+cluster")


def _check_operations(config: Mapping[str, Any]) -> None:
    """Check the operations settings; never echo a secret in the message."""
    from limits import parse_many   # the limit syntax Flask-Limiter uses

    for name in ("TRUSTED_PROXIES", "CORS_MAX_AGE"):
        if config[name] < 0:
            raise ConfigError(f"{name} must be 0 or more, got {config[name]!r}")
    for name in ("RATELIMIT_DEFAULT", "RATELIMIT_SEND_PROMPT"):
        if config[name]:
            try:
                parse_many(config[name])
            except ValueError:
                raise ConfigError(f"{name} must be a rate limit such as '120/minute' "
                                  f"or '10/second;500/hour', got {config[name]!r}") from None
    scheme = str(config["RATELIMIT_STORAGE_URI"]).partition("://")[0]
    if scheme not in STORAGE_SCHEMES:
        raise ConfigError(f"RATELIMIT_STORAGE_URI must start with one of "
                          f"{', '.join(s + '://' for s in STORAGE_SCHEMES)}; got scheme {scheme!r}")
    _check_auth(config)


def _check_auth(config: Mapping[str, Any]) -> None:
    mode = config["AUTH_MODE"]
    if mode not in AUTH_MODES:
        raise ConfigError(f"AUTH_MODE must be one of {', '.join(AUTH_MODES)}, got {mode!r}")
    if config["METRICS_REQUIRE_AUTH"] and mode == "none":
        raise ConfigError("METRICS_REQUIRE_AUTH needs AUTH_MODE api_key or jwt")
    if config["JWT_ALGORITHM"] and config["JWT_ALGORITHM"] not in JWT_ALGORITHMS:
        raise ConfigError(f"JWT_ALGORITHM must be one of {', '.join(JWT_ALGORITHMS)}, "
                          f"got {config['JWT_ALGORITHM']!r}")
    sources = [name for name in JWT_KEY_SOURCES if config[name]]
    if mode == "jwt" and len(sources) != 1:
        raise ConfigError("AUTH_MODE=jwt needs exactly one of JWT_SECRET (HS256), JWT_PUBLIC_KEY, "
                          "JWT_JWKS_URL or JWT_JWKS_FILE (RS256, ES256)"
                          + (f"; got {', '.join(sources)}" if sources else ""))
    url = config["JWT_JWKS_URL"]
    if url and not str(url).lower().startswith(("http://", "https://")):
        raise ConfigError("JWT_JWKS_URL must be an http:// or https:// URL")
    if not 0 <= config["JWT_LEEWAY"] < math.inf:
        raise ConfigError(f"JWT_LEEWAY must be 0 or more seconds, got {config['JWT_LEEWAY']!r}")
