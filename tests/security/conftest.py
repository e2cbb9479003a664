"""Fixtures for authentication and rate-limit tests: keys, signing keys, tokens."""
from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

KEY_A = "pr-test-key-aaaaaaaaaaaaaaaa"
KEY_B = "pr-test-key-bbbbbbbbbbbbbbbb"
HS_SECRET = "an-hs256-secret-of-at-least-32-bytes!!"


def pem(public_key) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.fixture(scope="session")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def token(key, algorithm: str = "HS256", kid: str | None = None, **claims) -> str:
    """A signed JWT, naming its key when kid is given; exp one minute ahead unless given (None: left out)."""
    claims.setdefault("sub", "user-1")
    claims.setdefault("exp", int(time.time()) + 60)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid} if kid else None)


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}
