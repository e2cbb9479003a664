"""AUTH_MODE=api_key: keys from API_KEYS and API_KEYS_FILE, compared in constant time."""
from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from pathlib import Path

from app.config import ConfigError
from app.security.base import AuthFailure, Principal, bearer_token, fingerprint

MIN_KEY_LENGTH = 16


def read_api_keys(keys: Iterable[str], path: str | None) -> tuple[str, ...]:
    """Merge the listed keys with the file's (one per line, # comments); raise ConfigError if unusable."""
    merged = list(keys)
    if path:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"API_KEYS_FILE {path}: cannot read it ({exc.__class__.__name__})") from None
        merged += [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not merged:
        raise ConfigError("AUTH_MODE=api_key needs at least one key in API_KEYS or API_KEYS_FILE")
    for number, key in enumerate(merged, 1):
        # Name the key by position, never by value.
        if len(key) < MIN_KEY_LENGTH or any(ch.isspace() or not ch.isprintable() for ch in key):
            raise ConfigError(f"API key #{number} must be at least {MIN_KEY_LENGTH} printable "
                              f"characters without spaces")
    return tuple(dict.fromkeys(merged))


class ApiKeyAuthenticator:
    """Accept ``X-API-Key: <key>`` or ``Authorization: Bearer <key>``."""

    def __init__(self, keys: Iterable[str]):
        self._keys = tuple(key.encode("utf-8") for key in keys)

    def secrets(self) -> tuple[str, ...]:
        """The accepted keys, for the log redactor."""
        return tuple(key.decode("utf-8") for key in self._keys)

    def problem(self) -> None:
        return None

    def authenticate(self, headers: Mapping[str, str]) -> Principal:
        presented = headers.get("X-API-Key") or bearer_token(headers)
        if not presented:
            raise AuthFailure("Authentication required: send an API key in X-API-Key "
                              "or Authorization: Bearer.", error=None)
        candidate = presented.encode("utf-8")
        matched = False
        for key in self._keys:   # every key is compared: the time does not say which one is close
            matched |= hmac.compare_digest(candidate, key)
        if not matched:
            raise AuthFailure("Invalid API key.")
        return Principal("key", fingerprint(presented))
