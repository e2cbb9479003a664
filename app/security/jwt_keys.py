"""One fixed JWT verification key: JWT_SECRET (HS256) or JWT_PUBLIC_KEY (RS256, ES256)."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from app.config import ConfigError

MIN_SECRET_BYTES = 32   # RFC 7518 3.2: an HS256 key at least as long as the hash


class SigningKeys(Protocol):
    def find(self, header: Mapping[str, Any]) -> tuple[Any, str]:
        """The key and the one algorithm to verify a token with this header; AuthFailure if none."""

    def problem(self) -> str | None:
        """Why no token can be verified now (keys not fetched yet), else None."""


class StaticKey:
    """The same key and algorithm for every token."""

    def __init__(self, key: Any, algorithm: str):
        self.key, self.algorithm = key, algorithm

    def find(self, header: Mapping[str, Any]) -> tuple[Any, str]:
        return self.key, self.algorithm

    def problem(self) -> None:
        return None


def static_key(settings: Mapping[str, Any]) -> StaticKey:
    """The key from JWT_SECRET or JWT_PUBLIC_KEY; ConfigError when it does not fit JWT_ALGORITHM."""
    algorithm = settings["JWT_ALGORITHM"]
    if settings["JWT_SECRET"]:
        secret = settings["JWT_SECRET"]
        if algorithm not in (None, "", "HS256"):
            raise ConfigError(f"JWT_SECRET is an HS256 key; JWT_ALGORITHM={algorithm} needs JWT_PUBLIC_KEY")
        if len(secret.encode("utf-8")) < MIN_SECRET_BYTES:
            raise ConfigError(f"JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes")
        return StaticKey(secret, "HS256")
    key = _public_key(settings["JWT_PUBLIC_KEY"])
    return StaticKey(key, _algorithm_for(key, algorithm))


def _public_key(value: str):
    """Load a PEM public key given as text (real or \\n-escaped newlines) or as a file path."""
    text = value.strip()
    if not text.startswith("-----BEGIN"):
        try:
            text = Path(text).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"JWT_PUBLIC_KEY: neither a PEM key nor a readable file "
                              f"({exc.__class__.__name__})") from None
    elif "\n" not in text:
        text = text.replace("\\n", "\n")
    try:
        return load_pem_public_key(text.encode("ascii"))
    except (ValueError, TypeError, UnicodeEncodeError):
        raise ConfigError("JWT_PUBLIC_KEY is not a PEM public key (-----BEGIN PUBLIC KEY-----)") from None


def _algorithm_for(key, requested: str | None) -> str:
    if isinstance(key, rsa.RSAPublicKey):
        natural = "RS256"
    elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        natural = "ES256"
    else:
        raise ConfigError("JWT_PUBLIC_KEY must be an RSA key (RS256) or a P-256 EC key (ES256)")
    if requested and requested != natural:
        raise ConfigError(f"JWT_ALGORITHM={requested} does not match JWT_PUBLIC_KEY (an {natural} key)")
    return natural
