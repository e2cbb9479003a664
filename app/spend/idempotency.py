"""Idempotency-Key on send_prompt: one answer per key and principal for 24 hours.

The first request with a key claims it (a row with no response yet); its answer is stored with
its ledger rows. A retry with the same body gets that answer back without calling any vendor;
one that arrives while the first still runs gets 409; one with another body gets 422. A claim
left by a killed worker expires after the request deadline, like a budget hold. The claims
themselves are in idempotency_db.py.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import orjson

HEADER = "Idempotency-Key"
VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")   # visible ASCII, as header values allow
# Framing only: a retry may ask for the same answer as events or as one JSON body.
NOT_HASHED = ("stream",)


@dataclass(frozen=True)
class Claim:
    """This request holds the key: its answer is stored when it is recorded."""

    key: str


@dataclass(frozen=True)
class Replay:
    """The answer recorded for the key: the JSON envelope."""

    body: bytes


def valid_key(key: str) -> bool:
    """Tell whether a header value can be a key: 1-255 visible ASCII characters."""
    return VALID_KEY.fullmatch(key) is not None


def body_hash(body: dict[str, Any]) -> str:
    """A digest of the validated request body, independent of key order and spacing."""
    meaningful = {name: value for name, value in body.items() if name not in NOT_HASHED}
    return hashlib.sha256(orjson.dumps(meaningful, option=orjson.OPT_SORT_KEYS)).hexdigest()
