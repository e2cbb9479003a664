"""JWT keys from a JWKS, picked by the token's ``kid``: JWT_JWKS_FILE (read once) or JWT_JWKS_URL.

PyJWKClient fetches the URL (with a timeout, no redirects) and parses it; when to fetch is
decided here, because its own cache forgets every key when it expires and, while the endpoint
is down, fetches again on every request. Here the keys last fetched are kept through outages,
and fetches are bounded: an unknown kid refetches at most once a minute, a failed fetch is
retried at most every few seconds, and keys are refreshed once they are five minutes old.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError

from jwt import PyJWK, PyJWKClient, PyJWKSet
from jwt.exceptions import PyJWTError

from app.config import ConfigError
from app.security.base import AuthFailure

log = logging.getLogger(__name__)
ASYMMETRIC = ("RS256", "ES256")   # a JWKS is public: never a shared (HS256) secret
JWKS_TIMEOUT_S = 5.0              # per socket operation of one fetch
REFETCH_INTERVAL_S = 60.0         # an unknown kid refetches at most this often
RETRY_INTERVAL_S = 5.0            # after a failed fetch, the next one waits this long
MAX_AGE_S = 300.0                 # older keys are refreshed, so keys removed upstream stop working
NO_KEYS = "Cannot verify the token yet: the signing keys (JWKS) are not loaded."


def signing_keys(jwk_set: PyJWKSet, algorithms: Collection[str]) -> dict[str, PyJWK]:
    """The set's signature keys for the accepted algorithms, by kid (keys without a kid are skipped)."""
    return {key.key_id: key for key in jwk_set.keys
            if key.key_id and key.public_key_use in ("sig", None) and key.algorithm_name in algorithms}


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
        keys = signing_keys(PyJWKSet.from_dict(document), algorithms) if isinstance(document, dict) else {}
    except PyJWTError:
        keys = {}
    if not keys:
        raise ConfigError(f"JWT_JWKS_FILE {path}: no signing key with a kid for {', '.join(algorithms)}")
    return KeyTable(keys)


class JwksKeys:
    """Keys by kid from JWT_JWKS_URL: fetched at start, then only when due (see the module's docstring)."""

    def __init__(self, url: str, algorithms: Collection[str], clock: Callable[[], float] = time.monotonic):
        self._client = PyJWKClient(url, cache_jwk_set=False, timeout=JWKS_TIMEOUT_S)
        self._algorithms, self._clock = tuple(algorithms), clock
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at = self._failed_at = self._kid_refetch_at = None
        self._problem: str | None = "not fetched yet"
        self._lock = threading.Lock()
        self.refetch_interval, self.retry_interval = REFETCH_INTERVAL_S, RETRY_INTERVAL_S
        self.max_age = MAX_AGE_S

    def find(self, header: Mapping[str, Any]) -> tuple[Any, str]:
        kid = _kid(header)
        key = self._keys.get(kid)
        if key is None or self._stale():
            # An unknown kid waits for a fetch in flight (it may bring that key); a known one never waits.
            if self._lock.acquire(blocking=key is None):
                try:
                    self._fetch_if_due(unknown_kid=kid not in self._keys)
                finally:
                    self._lock.release()
            key = self._keys.get(kid)
        if key is None:
            raise AuthFailure("Token signing key is unknown." if self._keys else NO_KEYS)
        return key.key, key.algorithm_name

    def problem(self) -> str | None:
        """Why no token can be verified (no keys yet), else None; retries the fetch when due."""
        if not self._keys:
            with self._lock:
                self._fetch_if_due(unknown_kid=False)
        return None if self._keys else f"no signing keys from JWT_JWKS_URL yet: {self._problem}"

    def _stale(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= self.max_age

    def _fetch_if_due(self, unknown_kid: bool) -> None:
        now = self._clock()
        if self._failed_at is not None and now - self._failed_at < self.retry_interval:
            return
        if self._keys and not self._stale():
            if not unknown_kid or (self._kid_refetch_at is not None
                                   and now - self._kid_refetch_at < self.refetch_interval):
                return
            self._kid_refetch_at = now
        self._fetch()

    def _fetch(self) -> None:
        try:
            keys = signing_keys(self._client.get_jwk_set(refresh=True), self._algorithms)
        except (PyJWTError, OSError, ValueError) as exc:
            keys, reason = {}, _describe(exc)
        else:
            reason = f"the JWKS holds no signing key with a kid for {', '.join(self._algorithms)}"
        if not keys:
            self._failed_at, self._problem = self._clock(), reason
            log.warning("JWKS fetch failed (%s); %d keys kept", reason, len(self._keys))
            return
        if keys.keys() != self._keys.keys():
            log.info("JWKS: signing keys %s", ", ".join(sorted(keys)))
        self._keys, self._fetched_at, self._failed_at, self._problem = keys, self._clock(), None, None


def _describe(exc: Exception) -> str:
    """Say why a fetch failed, in fixed words plus the transport's reason (never the body)."""
    cause = exc.__cause__ or exc
    if isinstance(cause, HTTPError):
        return f"the JWKS URL answered HTTP {cause.code}"
    if isinstance(cause, URLError):
        return f"cannot reach the JWKS URL ({cause.reason})"
    if isinstance(cause, TimeoutError):
        return f"the JWKS URL did not answer within {JWKS_TIMEOUT_S:g} s"
    if isinstance(cause, OSError):
        return f"cannot read the JWKS URL ({cause.__class__.__name__})"
    return "the JWKS URL did not answer with a JWKS"
