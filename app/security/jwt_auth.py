"""AUTH_MODE=jwt: verify ``Authorization: Bearer <JWT>`` with one key source and the JWT_* rules."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jwt

from app.config import ConfigError
from app.security.base import AuthFailure, Principal, bearer_token
from app.security.jwks import ASYMMETRIC, JwksKeys, jwks_file
from app.security.jwt_keys import SigningKeys, static_key

TIME_CLAIMS = ("exp", "nbf", "iat")   # RFC 7519 NumericDate: a JSON number, never a string


class JwtAuthenticator:
    """Check the signature (one algorithm per key), exp, and aud, iss and azp when configured."""

    def __init__(self, keys: SigningKeys, *, audience: str | None = None, issuer: str | None = None,
                 authorized_party: str | None = None, leeway: float = 0, secret: str | None = None,
                 subject_claim: str = "sub"):
        self._keys, self._leeway, self._secret, self._subject_claim = keys, leeway, secret, subject_claim
        self._audience, self._issuer, self._authorized_party = audience, issuer, authorized_party

    def secrets(self) -> tuple[str, ...]:
        """The HS256 secret, for the log redactor (public keys are no secret)."""
        return (self._secret,) if self._secret else ()

    def problem(self) -> str | None:
        """Why no token can be verified now (JWKS not fetched yet), else None."""
        return self._keys.problem()

    def authenticate(self, headers: Mapping[str, str]) -> Principal:
        token = bearer_token(headers)
        if not token:
            raise AuthFailure("Authentication required: send Authorization: Bearer <JWT>.", error=None)
        try:
            key, algorithm = self._keys.find(jwt.get_unverified_header(token))
            claims = jwt.decode(token, key, algorithms=[algorithm], audience=self._audience,
                                issuer=self._issuer, leeway=self._leeway,
                                options={"require": ["exp"], "verify_aud": self._audience is not None})
        except jwt.InvalidTokenError as exc:
            raise AuthFailure(_reason(exc)) from None
        self._check(claims)
        return Principal("sub", self._subject(claims))

    def _subject(self, claims: Mapping[str, Any]) -> str:
        """The caller's name from the subject claim: budgets and the ledger hold it, so it is required."""
        subject = claims.get(self._subject_claim)
        if isinstance(subject, int) and not isinstance(subject, bool):
            subject = str(subject)
        if not isinstance(subject, str) or not subject.strip():
            raise AuthFailure(f"Token lacks the required {self._subject_claim!r} claim.")
        if "\x00" in subject:   # no database text column holds NUL
            raise AuthFailure(f"Token {self._subject_claim!r} claim is not accepted.")
        return subject

    def _check(self, claims: Mapping[str, Any]) -> None:
        """What PyJWT leaves to us: numeric time claims (it accepts "123" strings) and azp."""
        for name in TIME_CLAIMS:
            value = claims.get(name)
            if name in claims and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise AuthFailure(f"Token {name!r} claim is not a number.")
        if self._authorized_party is not None:
            if "azp" not in claims:
                raise AuthFailure("Token lacks the required 'azp' claim.")
            if claims["azp"] != self._authorized_party:
                raise AuthFailure("Token authorized party (azp) is not accepted.")


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
    return JwtAuthenticator(_signing_keys(settings), audience=settings["JWT_AUDIENCE"] or None,
                            issuer=settings["JWT_ISSUER"] or None,
                            authorized_party=settings["JWT_AUTHORIZED_PARTY"] or None,
                            leeway=settings["JWT_LEEWAY"], secret=settings["JWT_SECRET"] or None,
                            subject_claim=settings["JWT_SUBJECT_CLAIM"] or "sub")


def _signing_keys(settings: Mapping[str, Any]) -> SigningKeys:
    if settings["JWT_SECRET"] or settings["JWT_PUBLIC_KEY"]:
        return static_key(settings)
    requested = settings["JWT_ALGORITHM"]
    if requested and requested not in ASYMMETRIC:
        raise ConfigError(f"JWT_ALGORITHM={requested} needs JWT_SECRET; a JWKS holds public keys "
                          f"({', '.join(ASYMMETRIC)})")
    algorithms = (requested,) if requested else ASYMMETRIC
    if settings["JWT_JWKS_FILE"]:
        return jwks_file(settings["JWT_JWKS_FILE"], algorithms)
    return JwksKeys(settings["JWT_JWKS_URL"], algorithms)   # fetched when the gate is installed
