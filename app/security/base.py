"""What every authenticator shares: the caller it found, or why it found none."""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: an API key (by fingerprint, never the key) or a JWT subject."""

    kind: str   # "key" or "sub"
    id: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def name(self) -> str:
        """The principal's name in the ledger, budgets and usage: a key's name, a JWT's sub
        (one longer than MAX_NAME characters shortened by stored_name)."""
        return stored_name(self.id if self.kind in ("key", "sub") else str(self))


MAX_NAME = 128   # characters of a principal the database holds (VARCHAR(128))
_KEPT = 56       # of a longer one, the characters kept before its digest


def stored_name(name: str) -> str:
    """The name itself when it fits MAX_NAME, else its first characters and its SHA-256: always
    the same for the same name, and never equal to another's."""
    if len(name) <= MAX_NAME:
        return name
    return f"{name[:_KEPT]}~{hashlib.sha256(name.encode('utf-8', 'surrogatepass')).hexdigest()}"


class AuthFailure(Exception):
    """No valid credentials; ``error`` is RFC 6750's code, None when none were sent at all."""

    def __init__(self, message: str, error: str | None = "invalid_token"):
        super().__init__(message)
        self.message, self.error = message, error


class Authenticator(Protocol):
    def authenticate(self, headers: Mapping[str, str]) -> Principal:
        """Return the caller or raise AuthFailure."""

    def problem(self) -> str | None:
        """Why no credentials can be verified now (for /ready), else None."""


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """Return the token of an ``Authorization: Bearer <token>`` header, if any."""
    scheme, _, token = (headers.get("Authorization") or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def fingerprint(secret: str) -> str:
    """A short, stable, non-reversible name for a credential (for logs and rate-limit keys)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:16]
