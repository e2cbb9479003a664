"""Settings: defaults, overridden by the environment, overridden by the factory's argument.

Nothing here runs at import time; ``build_config`` is called by ``create_app``.
"""
from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple

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


class Setting(NamedTuple):
    """One setting: its default, the parser for the environment's string, and its line in docs/settings.md."""

    default: Any
    parse: Callable[[str], Any]
    doc: str
    default_doc: str | None = None   # how docs/settings.md shows the default, where the value alone misleads


# Every setting the service reads. docs/settings.md is generated from this table by
# scripts/settings_doc.py, which can also turn a `"NAME": (default, parser),  # description` line
# into a Setting (--convert).
SETTINGS: dict[str, Setting] = {
    # gunicorn.conf.py reads these through build_config too: one parser for every setting.
    "PORT": Setting(3001, _int, "gunicorn binds `$HOST:$PORT`"),
    "HOST": Setting(None, str.strip,
        "the address gunicorn listens on (read by `gunicorn.conf.py`)",
        default_doc="`make run`: `127.0.0.1`; `gunicorn.conf.py`: `0.0.0.0`, "
                    "or `127.0.0.1` when `TRUSTED_PROXIES` is not `0`"),
    "WEB_CONCURRENCY": Setting(2, _int, "gunicorn worker processes (gthread)"),
    "GUNICORN_THREADS": Setting(8, _int, "threads per worker (also sizes the provider pool)"),
    "ADMISSION_QUEUE": Setting(None, _int,
        "requests a worker lets wait for a free thread; beyond them a request gets 503 with `Retry-After` "
        "at once (see [Admission](api.md#admission-what-a-worker-takes-on))",
        default_doc="`GUNICORN_THREADS`"),
    "ADMISSION_WAIT_S": Setting(1.0, _float,
        "the most seconds a request waits for a thread before its 503; it then never reaches a view"),
    "GUNICORN_CONTROL_SOCKET": Setting(None, str,
        "path of this instance's gunicorn control socket (`gunicornc`, gunicorn 25.1+; 27.0.1 is pinned); "
        "gunicorn's own default, `$HOME/.gunicorn/gunicorn.ctl`, would be shared by every instance of the "
        "user",
        default_doc="unset: none"),
    "PROMETHEUS_MULTIPROC_DIR": Setting(None, str,
        "where the workers' metric files live; emptied when gunicorn starts (read by `gunicorn.conf.py`)",
        default_doc="a new temporary directory per gunicorn start"),
    "LOG_LEVEL": Setting("INFO", _log_level,
        "application and gunicorn log level: `DEBUG`, `INFO`, `WARNING`, `ERROR` or `CRITICAL`"),
    "LOG_FLUSH_INTERVAL_MS": Setting(10, _int,
        "request threads queue their log lines; one thread per worker writes them this often (`0`: each "
        "line at once, in the request thread)"),
    "CORS_ORIGINS": Setting("*", _origins, "comma list of origins allowed to call `/api/*` from a browser"),
    "MODELS_CSV": Setting(str(PROJECT_ROOT / "models.csv"), str,
        "the catalog",
        default_doc="bundled `models.csv`"),
    "QUALITY_CSV": Setting(str(PROJECT_ROOT / "quality.csv"), str,
        "published benchmark scores (a bad row stops start-up like a bad catalog row)",
        default_doc="bundled `quality.csv`"),
    # What each model_name supports (tools, structured output, reasoning, vision); None: the
    # capabilities.csv beside MODELS_CSV, or none (every capability unknown) when there is no such file.
    "CAPABILITIES_CSV": Setting(None, str,
        "what each model supports: tools, structured output, reasoning, vision (see "
        "[Agents](gateway.md#agents-tools-structured-output-reasoning-images)); a bad row stops start-up",
        default_doc="`capabilities.csv` beside `MODELS_CSV` (none: every capability unknown)"),
    # Storage: None means SQLite in the instance folder / price_history.csv beside MODELS_CSV.
    "DATABASE_URL": Setting(None, str.strip,
        "`sqlite:///path.db` or `postgresql+psycopg://user:pass@host/db` (see "
        "[Database](catalog.md#database))",
        default_doc="SQLite at `instance/price-runner.db`"),
    "DATABASE_TIMEOUT_S": Setting(2.0, _float,
        "the most seconds one database call (statement, ping, commit) or a wait for a pooled connection may "
        "take; after a connection failure calls fail at once for 2 s (see [Database](catalog.md#database))"),
    "CATALOG_REFRESH_S": Setting(30.0, _float,
        "how often each worker looks for a new catalog version (and reloads the named API keys)"),
    "PRICE_HISTORY_CSV": Setting(None, str,
        "the dated price versions the database is seeded from",
        default_doc="`price_history.csv` beside `MODELS_CSV`"),
    "SERVICE_TIERS_CSV": Setting(None, str,
        "dated prices per service tier (the estimate's and `/v1`'s `service_tier`); a bad row stops start-up",
        default_doc="`service_tiers.csv` beside `MODELS_CSV` (none: only `default`)"),
    "PRICES_SOURCE_URL": Setting(None, str.strip,
        "the price data `catalog sync` reads without `--source`: a URL or a file in genai-prices' format",
        default_doc="unset: the installed genai-prices data, offline"),
    # Output predictions and tokenizer calibration from the ledger (app/forecast): rebuilt this often,
    # over this many days of calls, with at least these many samples.
    "FORECAST_REFRESH_S": Setting(60.0, _float,
        "how often each worker rebuilds its output predictions and tokenizer factors from the ledger"),
    "FORECAST_WINDOW_DAYS": Setting(30, _int, "days of billed calls they are built from"),
    "FORECAST_MIN_SAMPLES": Setting(10, _int,
        "billed calls a model needs for prompts of a length before its output is predicted"),
    "CALIBRATION_MIN_SAMPLES": Setting(30, _int,
        "billed calls a tokenizer family needs before its factor is measured rather than fixed"),
    "SECRETS_FILE": Setting("secrets.yaml", str,
        "vendor credentials; missing = no keys; unreadable or malformed = the service does not start",
        default_doc="`secrets.yaml` (working directory)"),
    "MAX_CONTENT_LENGTH": Setting(20 * 1024 * 1024, _int,
        "larger request bodies get 413",
        default_doc="`20971520` (20 MB)"),
    "TIKTOKEN_CACHE_DIR": Setting(None, str,
        "where the encodings are read from",
        default_doc="unset (the Makefile sets `.tiktoken_cache`)"),
    "PROVIDER_TIMEOUT": Setting(30.0, _float,
        "seconds: the deadline of one `send_prompt` request; streamed, the wait for each first token"),
    # Shutdown: seconds gunicorn's workers get to finish in-flight requests after
    # SIGTERM (None: PROVIDER_TIMEOUT rounded up + 15), and the file whose presence makes /ready answer 503
    # (a Kubernetes preStop hook creates it, so the pod leaves the load balancer first).
    "GRACEFUL_TIMEOUT": Setting(None, _int,
        "whole seconds gunicorn's workers get after SIGTERM to finish the requests they hold (read by "
        "`gunicorn.conf.py`); must be longer than `PROVIDER_TIMEOUT`, so a call in flight reaches its "
        "deadline, is recorded and answers",
        default_doc="`PROVIDER_TIMEOUT` rounded up + 15 (45)"),
    "DRAIN_FILE": Setting(None, str.strip,
        "while this file exists `/ready` answers 503 (`draining`); a Kubernetes `preStop` hook creates it "
        "so the pod leaves the load balancer before SIGTERM; removed when gunicorn starts (one path per "
        "instance)",
        default_doc="unset: never draining"),
    "PROVIDER_CONNECT_TIMEOUT": Setting(3.05, _float, "seconds to connect to a vendor"),
    "PROVIDER_MAX_RETRIES": Setting(2, _int, "retries per vendor call, within the deadline"),
    "PROVIDER_POOL_SIZE": Setting(None, _int,
        "threads calling vendors, per worker process",
        default_doc="`GUNICORN_THREADS` x `SEND_PROMPT_MAX_MODELS` (80)"),
    "PROVIDER_MAX_CONCURRENCY": Setting(16, _int, "threads one vendor may hold, per worker process"),
    "PROVIDER_MAX_RESPONSE_BYTES": Setting(4 * 1024 * 1024, _int,
        "a larger vendor answer is a `response_too_large` item, read no further",
        default_doc="`4194304` (4 MB)"),
    # Streams: PROVIDER_TIMEOUT bounds the wait for the first token; these the rest.
    "STREAM_IDLE_TIMEOUT": Setting(30.0, _float,
        "seconds: the longest gap between two events of a streamed answer, after its first token (SSE "
        "comments and keep-alives do not count)"),
    "STREAM_MAX_DURATION": Setting(600.0, _float, "seconds: the longest a streamed answer may take in all"),
    "ANSWER_CACHE_TTL": Setting(3600, _int, "seconds a cached answer is served"),
    "ANSWER_CACHE_SCOPE": Setting("principal", _lower,
        "`principal`: each caller has its own cached answers; `shared`: all callers share them"),
    "ANSWER_CACHE_MAX_BYTES": Setting(64 * 1024 * 1024, _int,
        "answer cache size in the database (all workers together)",
        default_doc="`67108864` (64 MB)"),
    "ANSWER_CACHE_MAX_ITEM_BYTES": Setting(1024 * 1024, _int,
        "larger items are not cached",
        default_doc="`1048576` (1 MB)"),
    "CACHE_REDIS_URL": Setting(None, str,
        "Redis for the answer cache (shared by all instances); unset = the database"),
    "REDIS_TIMEOUT_S": Setting(0.5, _float,
        "seconds every Redis client (answer cache, rate limits) waits to connect or for each reply"),
    "SEND_PROMPT_MAX_MODELS": Setting(10, _int, "models one `send_prompt` may call"),
    # Evals: the most prompts per eval, prompts x models per eval, prompts run at once.
    "EVAL_MAX_PROMPTS": Setting(50, _int, "prompts one `POST /api/evals` may hold"),
    "EVAL_MAX_CALLS": Setting(100, _int, "prompts x models one eval may call"),
    "EVAL_CONCURRENCY": Setting(4, _int,
        "prompts of one eval run at once (and at most half of `PROVIDER_POOL_SIZE` in calls)"),
    "EVAL_GRADE_TIMEOUT_S": Setting(1.0, _float,
        "CPU seconds one `json_schema` grade may take; past it the answer's outcome is `grader_timeout`"),
    "EVAL_GRADE_BUDGET_S": Setting(10.0, _float,
        "CPU seconds all the grades of one eval may take together; the grades after it are `grader_timeout`"),
    # Spend: USD per principal per UTC day / month (None: no limit), overrides by name,
    # and the principals that see everyone's usage.
    "BUDGET_DAILY_USD": Setting(None, _usd,
        "what each principal may spend on `send_prompt` per UTC day",
        default_doc="unset: no limit"),
    "BUDGET_MONTHLY_USD": Setting(None, _usd, "the same per UTC month", default_doc="unset: no limit"),
    "BUDGETS_FILE": Setting(None, str,
        "YAML overriding both by principal name: `alice: {daily_usd: 5, monthly_usd: 100}` (`null`: no "
        "limit; a key left out keeps the default); a bad file stops start-up"),
    "USAGE_ADMIN_KEYS": Setting((), _names,
        "comma list of principal names that see every principal's `GET /api/usage`"),
    # Operations: metrics, logs, rate limits, proxies, authentication.
    "METRICS_ENABLED": Setting(True, _bool, "serve `GET /metrics` and record the HTTP series"),
    "METRICS_REQUIRE_AUTH": Setting(False, _bool,
        "`/metrics` needs the API's credentials (needs an `AUTH_MODE` other than `none`)"),
    "LOG_PROMPTS": Setting(False, _bool,
        "put prompt, system and answer texts (each cut at 4,000 characters; of a `/v1` conversation its "
        "last 20 `messages`) in the request log line"),
    "RATELIMIT_ENABLED": Setting(True, _bool, "apply the rate limits below"),
    "RATELIMIT_DEFAULT": Setting("120/minute", str.strip,
        "per client and route, Flask-Limiter syntax (`10/second;500/hour`); empty: no limit"),
    "RATELIMIT_SEND_PROMPT": Setting("20/minute", str.strip,
        "per client on `POST /api/send_prompt` and `POST /api/evals` (a count each), replacing the default "
        "there; empty: the default"),
    "RATELIMIT_V1": Setting("600/minute", str.strip,
        "per client on each `/v1` endpoint (a count each), replacing the default there; sized for agent "
        "loops (see docs/operations.md); empty: the default"),
    "RATELIMIT_STORAGE_URI": Setting("memory://", str.strip,
        "where counts live: `memory://` counts in each worker process on its own; `redis://host:6379/0` "
        "shares one count across workers and instances"),
    "TRUSTED_PROXIES": Setting(0, _int,
        "proxy hops whose `X-Forwarded-For`/`-Proto` are believed (`1` behind one nginx); `0`: the "
        "headers are ignored"),
    "AUTH_MODE": Setting("none", _lower, "`none`, `api_key` or `jwt`"),
    "API_KEYS": Setting((), _names,
        "`api_key`: comma list of accepted keys (16+ printable characters, no spaces)"),
    "API_KEYS_FILE": Setting(None, str,
        "`api_key`: a file of keys, one per line (`#` comments), added to `API_KEYS`"),
    "JWT_SECRET": Setting(None, str, "`jwt` with HS256: the shared secret (32 bytes or more)"),
    "JWT_PUBLIC_KEY": Setting(None, str,
        "`jwt` with RS256/ES256: a PEM public key, as text (newlines may be written `\\n`) or a file path"),
    "JWT_ALGORITHM": Setting(None, str.strip,
        "`HS256`, `RS256` or `ES256`; must match the secret or key (with a JWKS: only keys of that "
        "algorithm)",
        default_doc="from the key"),
    "JWT_AUDIENCE": Setting(None, str, "when set, tokens must carry this `aud`"),
    "JWT_ISSUER": Setting(None, str, "when set, tokens must carry this `iss`"),
    # Identity providers and browsers.
    "JWT_JWKS_URL": Setting(None, str.strip,
        "`jwt` with RS256/ES256: the identity provider's JWKS (Keycloak: "
        "`https://<host>/realms/<realm>/protocol/openid-connect/certs`); keys picked by the token's `kid`"),
    "JWT_JWKS_FILE": Setting(None, str, "`jwt` with RS256/ES256: a JWKS file, read at start"),
    "JWT_LEEWAY": Setting(30.0, _float, "seconds of clock skew allowed on `exp`, `nbf` and `iat`"),
    "JWT_AUTHORIZED_PARTY": Setting(None, str,
        "when set, tokens must carry this `azp` (Keycloak's client id; its `aud` is often `account`)"),
    "JWT_SUBJECT_CLAIM": Setting("sub", str.strip,
        "the claim that names a JWT's caller (ledger, budgets, usage); a token without it is a 401"),
    "CORS_MAX_AGE": Setting(600, _int, "seconds a browser may cache a preflight's answer"),
}


def build_config(overrides: Mapping[str, Any] | None = None,
                 environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return every setting: the factory argument first, then the environment, then defaults."""
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    config: dict[str, Any] = {}
    for name, (default, parse, *_) in SETTINGS.items():
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
    if config["ADMISSION_QUEUE"] is None:
        config["ADMISSION_QUEUE"] = config["GUNICORN_THREADS"]
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
                "ANSWER_CACHE_MAX_ITEM_BYTES", "REDIS_TIMEOUT_S", "WEB_CONCURRENCY", "CATALOG_REFRESH_S",
                "STREAM_IDLE_TIMEOUT",
                "STREAM_MAX_DURATION", "FORECAST_REFRESH_S", "FORECAST_WINDOW_DAYS", "FORECAST_MIN_SAMPLES",
                "CALIBRATION_MIN_SAMPLES",
                "EVAL_MAX_PROMPTS", "EVAL_MAX_CALLS", "EVAL_CONCURRENCY", "EVAL_GRADE_TIMEOUT_S",
                "EVAL_GRADE_BUDGET_S", "ADMISSION_WAIT_S", "DATABASE_TIMEOUT_S")
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
    if config["ADMISSION_QUEUE"] < 0:
        raise ConfigError(f"ADMISSION_QUEUE must be 0 or more, got {config['ADMISSION_QUEUE']!r}")
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
    for name in ("RATELIMIT_DEFAULT", "RATELIMIT_SEND_PROMPT", "RATELIMIT_V1"):
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
