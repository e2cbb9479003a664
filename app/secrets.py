"""Vendor credentials: the vendors' own env variables, then secrets.yaml, then defaults.

The file uses the seed's Kubernetes/OpenBao-compatible layout: one optional section per
vendor (``openai: {api_key: ..., base_url: ...}``). A missing file means no keys; an
unreadable or malformed one raises ``SecretsError`` so the service refuses to start.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from flask import Flask

from app.redaction import hold, secrets_of
from app.vendors import VENDORS, Vendor

_KEY_AND_URL = frozenset({"api_key", "base_url"})
SECTION_KEYS: dict[str, frozenset[str]] = {
    **{vendor.section: _KEY_AND_URL for vendor in VENDORS.values()},
    "aws": frozenset({"access_key_id", "secret_access_key", "session_token", "region",
                      "bearer_token", "endpoint_url"}),
    "azure": frozenset({"api_key", "endpoint", "api_version", "deployments"}),
}
DEFAULTS: dict[str, dict[str, Any]] = {
    "aws": {"region": "us-east-1"},
    "azure": {"api_version": "2024-10-21", "deployments": {}},
}


class SecretsError(Exception):
    """The secrets file exists but cannot be used."""


class Credentials:
    """Per-vendor settings; its repr never shows a value."""

    def __init__(self, sections: Mapping[str, Mapping[str, Any]]):
        self._sections = {key: dict(value) for key, value in sections.items()}

    @cached_property
    def configured(self) -> frozenset[str]:
        """The keys of the vendors whose credentials are complete."""
        from app.providers.registry import configured_vendors   # adapters load only when asked
        return configured_vendors(self)

    @cached_property
    def reasons(self) -> dict[str, str | None]:
        """Each vendor's key -> why it is not configured ("no key", "placeholder key", ...), None if it is."""
        from app.providers.registry import unconfigured_reasons
        return unconfigured_reasons(self)

    def settings(self, vendor_key: str) -> dict[str, Any]:
        """Return the merged settings of one vendor (a copy)."""
        return dict(self._sections.get(vendor_key, {}))

    def __repr__(self) -> str:
        return f"Credentials(vendors={sorted(self._sections)})"


def init_app(app: Flask, settings: Mapping[str, Any]) -> None:
    """Load vendor credentials (SecretsError on a bad file) into app.extensions["credentials"]."""
    credentials = load_credentials(settings["SECRETS_FILE"])
    app.extensions["credentials"] = credentials
    hold(app, (value for key in VENDORS for value in secrets_of(credentials.settings(key))))


def load_credentials(path: str | Path, environ: Mapping[str, str] | None = None) -> Credentials:
    """Merge the secrets file with the vendors' environment variables and defaults."""
    environ = os.environ if environ is None else environ
    document = _read_file(Path(path))
    return Credentials({vendor.key: _settings(vendor, document.get(vendor.section, {}), environ)
                        for vendor in VENDORS.values()})


def _read_file(path: Path) -> dict[str, dict[str, Any]]:
    if not path.exists():
        return {}
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretsError(f"secrets file {path}: cannot read it ({exc.__class__.__name__})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SecretsError(f"secrets file {path}: not valid YAML{where}") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise SecretsError(f"secrets file {path}: the top level must be a mapping of vendor sections")
    for section, values in document.items():
        _check_section(path, section, values)
    return document


def _check_section(path: Path, section: Any, values: Any) -> None:
    if section not in SECTION_KEYS:
        raise SecretsError(f"secrets file {path}: unknown section {section!r}; "
                           f"known: {', '.join(sorted(SECTION_KEYS))}")
    if not isinstance(values, dict):
        raise SecretsError(f"secrets file {path}: section {section!r} must be a mapping")
    for key, value in values.items():
        if key not in SECTION_KEYS[section]:
            raise SecretsError(f"secrets file {path}: unknown key {section}.{key}; "
                               f"known: {', '.join(sorted(SECTION_KEYS[section]))}")
        expected = dict if key == "deployments" else str
        if not isinstance(value, expected) or (expected is dict and not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items())):
            # Name the key, never echo the value: it may be a secret.
            kind = "a mapping of model name to deployment" if expected is dict else "a string"
            raise SecretsError(f"secrets file {path}: {section}.{key} must be {kind}")


def _settings(vendor: Vendor, section: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    settings = {**DEFAULTS.get(vendor.section, {}), **{k: v for k, v in section.items() if v != ""}}
    for field, names in vendor.env.items():
        name = next((name for name in names if environ.get(name)), None)
        if name is not None:
            settings[field] = ENV_NORMALISERS.get(name, str)(environ[name])
    # Default addresses stay out: adapters fall back to Vendor.base_url, and an Ollama
    # address present here is what marks a local Ollama as configured.
    return settings


def _normalise_ollama_host(host: str) -> str:
    """Turn OLLAMA_HOST (``0.0.0.0:11434``, ``http://host:11434``) into the /v1 base URL."""
    url = (host if "://" in host else f"http://{host}").rstrip("/")
    return url if url.endswith("/v1") else f"{url}/v1"


ENV_NORMALISERS = {"OLLAMA_HOST": _normalise_ollama_host}
