"""JWT keys from a JWKS, picked by the token's ``kid``: JWT_JWKS_FILE (read once) or JWT_JWKS_URL.

The keys last fetched are kept through outages, and fetches are bounded: an unknown kid
refetches at most once a minute, a failed fetch is retried at most every few seconds, and keys
are refreshed once they are five minutes old. A request never waits for the identity provider:
fetches run one at a time in a background thread, each within a total deadline
(jwks_fetch.py); meanwhile known kids verify and unknown ones get 401 at once. Keys that cannot
be loaded are skipped and logged; the others still verify.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from jwt import PyJWK

from app.config import ConfigError
from app.security.base import AuthFailure
from app.security.jwks_fetch import JwksFetchError, fetch_jwks, usable_keys

log = logging.getLogger(__name__)
ASYMMETRIC = ("RS256", "ES256")   # a JWKS is public: never a shared (HS256) secret
JWKS_TIMEOUT_S = 5.0              # the whole of one fetch: connecting, headers, body
REFETCH_INTERVAL_S = 60.0         # an unknown kid refetches at most this often
RETRY_INTERVAL_S = 5.0            # after a failed fetch, the next one waits this long
MAX_AGE_S = 300.0                 # older keys are refreshed, so keys removed upstream stop working
NO_KEYS = "Cannot verify the token yet: the signing keys (JWKS) are not loaded."


def _kid(header: Mapping[str, Any]) -> str:
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise AuthFailure("Token names no signing key (no 'kid' header).")
    return kid


class KeyTable:
    """Fixed keys by kid (JWT_JWKS_FILE)."""

    def __init__(self, keys: Mapping[str, PyJWK]):
        self._keys = dict(keys)

    def find(self, header: Mapping[str, Any]) -> tuple[Any, str]:
        key = self._keys.get(_kid(header))
        if key is None:
            raise AuthFailure("Token signing key is unknown.")
        return key.key, key.algorithm_name

    def problem(self) -> None:
        return None


def jwks_file(path: str, algorithms: Collection[str]) -> KeyTable:
    """Read JWT_JWKS_FILE; ConfigError when it is unreadable or holds no usable signing key."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"JWT_JWKS_FILE {path}: cannot read it ({exc.__class__.__name__})") from None
    except ValueError:
        raise ConfigError(f"JWT_JWKS_FILE {path}: not JSON") from None
    try:
        keys = usable_keys(document, algorithms) if isinstance(document, dict) else {}
    except (TypeError, AttributeError):   # "keys" is not a list of objects
        keys = {}
    if not keys:
        raise ConfigError(f"JWT_JWKS_FILE {path}: no signing key with a kid for {', '.join(algorithms)}")
    return KeyTable(keys)


class JwksKeys:
    """Keys by kid from JWT_JWKS_URL, fetched in the background (see the module's docstring)."""

    def __init__(self, url: str, algorithms: Collection[str], clock: Callable[[], float] = time.monotonic):
        self._url, self._algorithms, self._clock = url, tuple(algorithms), clock
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at = self._failed_at = self._kid_refetch_at = None
        self._problem: str | None = "not fetched yet"
        self._lock = threading.Lock()
        self._fetcher: threading.Thread | None = None   # the one fetch running, in this process
        self.refetch_interval, self.retry_interval = REFETCH_INTERVAL_S, RETRY_INTERVAL_S
        self.max_age, self.timeout = MAX_AGE_S, JWKS_TIMEOUT_S

    def find(self, header: Mapping[str, Any]) -> tuple[Any, str]:
        """The key a token's kid names; an unknown kid starts a fetch when due and fails at once."""
        kid = _kid(header)
        keys = self._keys
        key = keys.get(kid)
        if key is None or self._stale():
            self._fetch_if_due(unknown_kid=kid not in keys)
        if key is None:
            raise AuthFailure("Token signing key is unknown." if keys else NO_KEYS)
        return key.key, key.algorithm_name

    def problem(self) -> str | None:
        """Why no token can be verified (no usable keys), else None; never waits on the identity provider.

        The first call (at start, before gunicorn forks) fetches in the caller's thread, within
        the fetch's deadline; later ones start a background fetch when one is due."""
        if self._fetched_at is None and self._failed_at is None:
            self._fetch()
        elif not self._keys:
            self._fetch_if_due(unknown_kid=False)
        return None if self._keys else f"no usable signing keys from JWT_JWKS_URL: {self._problem}"

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the fetch in flight, if any (tests and shutdown; requests never wait)."""
        fetcher = self._fetcher
        if fetcher is not None:
            fetcher.join(timeout)

    def _stale(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= self.max_age

    def _fetch_if_due(self, unknown_kid: bool) -> None:
        with self._lock:
            if self._fetcher is not None and self._fetcher.is_alive():
                return   # at most one fetch at a time
            now = self._clock()
            if self._failed_at is not None and now - self._failed_at < self.retry_interval:
                return
            if self._keys and not self._stale():
                if not unknown_kid or (self._kid_refetch_at is not None
                                       and now - self._kid_refetch_at < self.refetch_interval):
                    return
                self._kid_refetch_at = now
            self._fetcher = threading.Thread(target=self._fetch, name="jwks-fetch", daemon=True)
            self._fetcher.start()

    def _fetch(self) -> None:
        try:
            keys = usable_keys(fetch_jwks(self._url, self.timeout), self._algorithms)
        except JwksFetchError as exc:
            keys, reason = {}, str(exc)
        else:
            reason = f"the JWKS holds no usable signing key with a kid for {', '.join(self._algorithms)}"
        if not keys:
            self._failed_at, self._problem = self._clock(), reason
            log.warning("JWKS fetch failed (%s); %d keys kept", reason, len(self._keys))
            return
        if keys.keys() != self._keys.keys():
            log.info("JWKS: signing keys %s", ", ".join(sorted(keys)))
        self._keys, self._fetched_at, self._failed_at, self._problem = keys, self._clock(), None, None
