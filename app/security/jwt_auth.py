"""AUTH_MODE=jwt: HS256 with JWT_SECRET, or RS256/ES256 with JWT_PUBLIC_KEY; exp required."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from app.config import ConfigError
from app.security.base import AuthFailure, Principal, bearer_token, fingerprint

MIN_SECRET_BYTES = 32   # RFC 7518 3.2: an HS256 key at least as long as the hash


class JwtAuthenticator:
    """Verify ``Authorization: Bearer <JWT>``: signature, one algorithm, exp, and aud/iss when set."""

    def __init__(self, key: Any, algorithm: str, audience: str | None = None, issuer: str | None = None):
        self._key, self._algorithm = key, algorithm
        self._audience, self._issuer = audience, issuer

    def secrets(self) -> tuple[str, ...]:
        """The HS256 secret, for the log redactor (a public key is no secret)."""
        return (self._key,) if isinstance(self._key, str) else ()

    def authenticate(self, headers: Mapping[str, str]) -> Principal:
        token = bearer_token(headers)
        if not token:
            raise AuthFailure("Authentication required: send Authorization: Bearer <JWT>.", error=None)
        try:
            claims = jwt.decode(token, self._key, algorithms=[self._algorithm], audience=self._audience,
                                issuer=self._issuer,
                                options={"require": ["exp"], "verify_aud": self._audience is not None})
        except jwt.InvalidTokenError as exc:
            raise AuthFailure(_reason(exc)) from None
        subject = claims.get("sub")
        return Principal("sub", str(subject)) if subject else Principal("token", fingerprint(token))


def _reason(exc: jwt.InvalidTokenError) -> str:
    # Fixed wording: never echo the token or the claims back.
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"Token lacks the required {exc.claim!r} claim."
    for kind, message in ((jwt.ExpiredSignatureError, "Token expired."),
                          (jwt.InvalidAudienceError, "Token audience is not accepted."),
                          (jwt.InvalidIssuerError, "Token issuer is not accepted."),
                          (jwt.InvalidAlgorithmError, "Token algorithm is not accepted."),
                          (jwt.InvalidSignatureError, "Token signature is invalid."),
                          (jwt.ImmatureSignatureError, "Token is not valid yet.")):
        if isinstance(exc, kind):
            return message
    return "Token is malformed."


def jwt_authenticator(settings: Mapping[str, Any]) -> JwtAuthenticator:
    """Build the verifier from JWT_* settings; raise ConfigError when they do not fit together."""
    algorithm = settings["JWT_ALGORITHM"]
    if settings["JWT_SECRET"]:
        secret = settings["JWT_SECRET"]
        if algorithm not in (None, "", "HS256"):
            raise ConfigError(f"JWT_SECRET is an HS256 key; JWT_ALGORITHM={algorithm} needs JWT_PUBLIC_KEY")
        if len(secret.encode("utf-8")) < MIN_SECRET_BYTES:
            raise ConfigError(f"JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes")
        key, algorithm = secret, "HS256"
    else:
        key = _public_key(settings["JWT_PUBLIC_KEY"])
        algorithm = _algorithm_for(key, algorithm)
    return JwtAuthenticator(key, algorithm, settings["JWT_AUDIENCE"] or None, settings["JWT_ISSUER"] or None)


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
