"""Settings: defaults, overridden by the environment, overridden by the factory's argument.

Nothing here runs at import time; ``build_config`` is called by ``create_app``.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
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


# name -> (default, parser for the environment's string)
SETTINGS: dict[str, tuple[Any, Callable[[str], Any]]] = {
    "LOG_LEVEL": ("INFO", str.upper),
    "CORS_ORIGINS": ("*", _origins),
    "MODELS_CSV": (str(PROJECT_ROOT / "models.csv"), str),
    "SECRETS_FILE": ("secrets.yaml", str),
    "MAX_CONTENT_LENGTH": (20 * 1024 * 1024, _int),
    "TIKTOKEN_CACHE_DIR": (None, str),
    "PROVIDER_TIMEOUT": (30.0, _float),
    "PROVIDER_CONNECT_TIMEOUT": (3.05, _float),
    "PROVIDER_MAX_RETRIES": (2, _int),
    "PROVIDER_POOL_SIZE": (32, _int),
    "PROVIDER_MAX_CONCURRENCY": (16, _int),
    "ANSWER_CACHE_TTL": (3600, _int),
    "CACHE_REDIS_URL": (None, str),
    "SEND_PROMPT_MAX_MODELS": (10, _int),
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
    _check(config)
    return config


def _check(config: Mapping[str, Any]) -> None:
    positive = ("MAX_CONTENT_LENGTH", "PROVIDER_TIMEOUT", "PROVIDER_CONNECT_TIMEOUT",
                "PROVIDER_POOL_SIZE", "PROVIDER_MAX_CONCURRENCY", "SEND_PROMPT_MAX_MODELS",
                "ANSWER_CACHE_TTL")
    for name in positive:
        if not config[name] > 0:
            raise ConfigError(f"{name} must be positive, got {config[name]!r}")
    if config["PROVIDER_MAX_RETRIES"] < 0:
        raise ConfigError(f"PROVIDER_MAX_RETRIES must be 0 or more, got {config['PROVIDER_MAX_RETRIES']!r}")
