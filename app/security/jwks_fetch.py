"""Download and parse a JWKS under one total deadline; keys that cannot be loaded are skipped.

requests only times each socket operation, so an identity provider that drips its answer a
byte at a time could hold a fetch for as long as it likes. The fetch runs under the vendor
calls' watchdog (app/providers/watchdog.py), which shuts its socket down at the deadline.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Collection
from typing import Any

import requests
from jwt import PyJWK

from app.providers.sessions import new_session
from app.providers.watchdog import DEADLINE, WATCHDOG

log = logging.getLogger(__name__)
MAX_JWKS_BYTES = 1024 * 1024   # a JWKS is a few KB; more is not an identity provider's answer


class JwksFetchError(Exception):
    """The JWKS could not be fetched; the message says why in fixed words (never the body)."""


def fetch_jwks(url: str, timeout_s: float) -> dict[str, Any]:
    """GET the JWKS document (no redirects, at most MAX_JWKS_BYTES), all within timeout_s."""
    session = new_session(pool_size=1)
    try:
        with WATCHDOG.guard(time.monotonic() + timeout_s) as guard:
            try:
                with session.get(url, timeout=timeout_s, allow_redirects=False, stream=True) as response:
                    if response.status_code != 200:
                        raise JwksFetchError(f"the JWKS URL answered HTTP {response.status_code}")
                    body = response.raw.read(MAX_JWKS_BYTES + 1, decode_content=True)
            except (requests.RequestException, OSError) as exc:
                if guard.reason == DEADLINE or isinstance(exc, requests.Timeout):
                    raise JwksFetchError(f"the JWKS URL did not answer within {timeout_s:g} s") from None
                raise JwksFetchError(f"cannot reach the JWKS URL ({exc.__class__.__name__})") from None
            if guard.reason == DEADLINE:
                raise JwksFetchError(f"the JWKS URL did not answer within {timeout_s:g} s")
    finally:
        session.close()
    if len(body) > MAX_JWKS_BYTES:
        raise JwksFetchError(f"the JWKS is larger than {MAX_JWKS_BYTES} bytes")
    try:
        document = json.loads(body)
    except ValueError:
        raise JwksFetchError("the JWKS URL did not answer with a JWKS") from None
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksFetchError("the JWKS URL did not answer with a JWKS")
    return document


def usable_keys(document: dict[str, Any], algorithms: Collection[str]) -> dict[str, PyJWK]:
    """The document's signature keys with a kid for the accepted algorithms; the others are skipped,
    and a key that cannot be loaded (e.g. an "oct" key without "k") is logged by its kid."""
    keys: dict[str, PyJWK] = {}
    entries = document.get("keys")
    for entry in entries if isinstance(entries, list) else []:
        kid = entry.get("kid") if isinstance(entry, dict) else None
        try:
            key = PyJWK(entry)
        except Exception as exc:   # PyJWT raises KeyError, TypeError or its own errors on bad members
            log.warning("JWKS: key %r skipped: it cannot be loaded (%s)", str(kid)[:64], exc.__class__.__name__)
            continue
        if kid and isinstance(kid, str) and key.public_key_use in ("sig", None) and key.algorithm_name in algorithms:
            keys[kid] = key
    return keys
