"""AUTH_MODE=api_key: keys from API_KEYS and API_KEYS_FILE, compared in constant time."""
from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from pathlib import Path

from app.config import ConfigError
from app.security.base import AuthFailure, Principal, bearer_token, fingerprint
from app.security.key_ring import KeyRing
from app.store.keys import NAME   # the names `keys create NAME` accepts

MIN_KEY_LENGTH = 16


def read_api_keys(keys: Iterable[str], path: str | None) -> dict[str, str]:
    """Merge the listed keys with the file's (one per line, # comments) into name -> key.

    An entry is ``name:key``, or a bare key named by its fingerprint; ConfigError if unusable.
    """
    merged = list(keys)
    if path:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"API_KEYS_FILE {path}: cannot read it ({exc.__class__.__name__})") from None
        merged += [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    named: dict[str, str] = {}
    for number, entry in enumerate(merged, 1):
        name, key = _split(entry)
        # Name the key by position, never by value.
        if len(key) < MIN_KEY_LENGTH or any(ch.isspace() or not ch.isprintable() for ch in key):
            raise ConfigError(f"API key #{number} must be at least {MIN_KEY_LENGTH} printable "
                              f"characters without spaces")
        if named.get(name, key) != key:
            raise ConfigError(f"API key #{number}: the name {name!r} is given to two keys")
        named[name] = key
    return named


def _split(entry: str) -> tuple[str, str]:
    """``name:key`` -> (name, key); a bare key is named by its fingerprint."""
    name, sep, key = entry.partition(":")
    if sep and NAME.fullmatch(name):
        return name, key
    return fingerprint(entry), entry


class ApiKeyAuthenticator:
    """Accept ``X-API-Key: <key>`` or ``Authorization: Bearer <key>``: a key from the settings
    (compared in constant time) or a named key from the database (by its hash, KeyRing)."""

    def __init__(self, keys: Mapping[str, str], ring: KeyRing | None = None):
        self._keys = tuple((name, key.encode("utf-8")) for name, key in keys.items())
        self._ring = ring

    @property
    def ring(self) -> KeyRing | None:
        """The database keys, whose reloads the app runs in the background (None without a database)."""
        return self._ring

    def secrets(self) -> tuple[str, ...]:
        """The accepted keys from the settings, for the log redactor (the database holds hashes)."""
        return tuple(key.decode("utf-8") for _, key in self._keys)

    def problem(self) -> None:
        return None   # without the database the settings' keys still work: /ready is not failed

    def authenticate(self, headers: Mapping[str, str]) -> Principal:
        presented = headers.get("X-API-Key") or bearer_token(headers)
        if not presented:
            raise AuthFailure("Authentication required: send an API key in X-API-Key "
                              "or Authorization: Bearer.", error=None)
        candidate = presented.encode("utf-8")
        matched = None
        for name, key in self._keys:   # every key is compared: the time does not say which one is close
            if hmac.compare_digest(candidate, key):
                matched = name
        if matched is None and self._ring is not None:
            matched = self._ring.name_of(presented)
        if matched is None:
            raise AuthFailure("Invalid API key.")
        return Principal("key", matched)
