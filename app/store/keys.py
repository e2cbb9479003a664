"""Named API keys: create (shown once), revoke, list; only a SHA-256 of each key is stored.

Keys are 256 random bits from ``secrets``, so a plain SHA-256 is enough to make the stored
value useless to whoever reads the table (no guessing a random key back from its hash).
"""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.store.schema import ApiKey

KEY_PREFIX = "prk_"   # tells a Price Runner key apart in a leak scanner or a log
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
RESERVED = {"anonymous"}   # the principal of a call when authentication is off


class KeyProblem(ValueError):
    """A key cannot be created or revoked; the message says why."""


def key_hash(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def check_name(name: str) -> None:
    """Refuse names that logs and usage reports could not show as they are."""
    if not NAME.fullmatch(name):
        raise KeyProblem(f"key name {name!r} must be 1-64 letters, digits or . _ @ -, starting with a letter or digit")
    if name in RESERVED:
        raise KeyProblem(f"key name {name!r} is reserved")


def create_key(session: Session, name: str, now: datetime) -> str:
    """Store a new key for name and return it (the only time it is shown); one live key per name."""
    check_name(name)
    if live_key(session, name) is not None:
        raise KeyProblem(f"{name!r} already has a live key; revoke it first")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiKey(name=name, key_hash=key_hash(key), created_at=now))
    try:
        session.flush()
    except IntegrityError:   # another process created one for this name meanwhile
        raise KeyProblem(f"{name!r} already has a live key; revoke it first") from None
    return key


def revoke_key(session: Session, name: str, now: datetime) -> None:
    """Revoke name's live key (KeyProblem if it has none)."""
    row = live_key(session, name)
    if row is None:
        raise KeyProblem(f"no live key named {name!r}")
    row.revoked_at = now
    session.flush()


def live_key(session: Session, name: str) -> ApiKey | None:
    return session.scalar(select(ApiKey).where(ApiKey.name == name, ApiKey.revoked_at.is_(None)))


def list_keys(session: Session) -> list[ApiKey]:
    """Every key ever created, oldest first (revoked ones say when)."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)))


def principal_for(session: Session, key: str) -> str | None:
    """The name of the live key presented, or None for an unknown or revoked key."""
    if not key.startswith(KEY_PREFIX):
        return None
    return session.scalar(select(ApiKey.name).where(ApiKey.key_hash == key_hash(key), ApiKey.revoked_at.is_(None)))


def live_key_hashes(session: Session) -> dict[str, str]:
    """key hash -> name of every live key (what the API key check holds in memory)."""
    rows = session.execute(select(ApiKey.key_hash, ApiKey.name).where(ApiKey.revoked_at.is_(None)))
    return {digest: name for digest, name in rows}
