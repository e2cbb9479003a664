"""Scrub credentials from log lines: the values we hold, and anything shaped like a key."""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from app.providers.redact import redact, secrets_of

MIN_SECRET_LENGTH = 6   # shorter values would mangle ordinary words
# Lower-cased text every pattern in app/providers/redact.py needs to match (sk-..., AIza...,
# AKIA/ASIA..., Bearer ..., ?key=/api_key=/access_token=/token=). tests/observability
# fails when that module's patterns change, so this list cannot fall behind silently.
PATTERN_TRIGGERS = ("sk-", "aiza", "akia", "asia", "bearer", "key=", "token=")


class Redactor:
    """Replace known secrets (raw or JSON-escaped) and key-shaped strings with a mask."""

    def __init__(self, secrets: Iterable[str] = ()):
        values = {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}
        values |= {json.dumps(s)[1:-1] for s in values}   # as they appear inside a JSON string
        self._secrets = tuple(sorted(values, key=len, reverse=True))

    def __call__(self, text: str) -> str:
        # The key patterns cost ~35 us per line; a line with none of their literal parts skips them.
        lowered = text.lower()
        if any(secret in text for secret in self._secrets) or any(t in lowered for t in PATTERN_TRIGGERS):
            return redact(text, self._secrets)
        return text


def held_secrets(credentials: Any, vendors: Mapping[str, Any], authenticator: Any = None) -> list[str]:
    """Every credential this process holds: vendor keys and the keys or secret callers present."""
    held = [value for key in vendors for value in secrets_of(credentials.settings(key))]
    return held + list(getattr(authenticator, "secrets", tuple)())
