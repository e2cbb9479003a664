"""Idempotency-Key on send_prompt: one answer per key and principal for 24 hours.

The first request with a key claims it (a row with no response yet); its answer is stored with
its ledger rows. A retry with the same body gets that answer back without calling any vendor;
one that arrives while the first still runs gets 409; one with another body gets 422. A claim
left by a killed worker expires after the request deadline, like a budget hold.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Engine, delete, select, update

from app.spend.errors import IdempotencyConflict
from app.spend.ledger_db import IDEMPOTENCY_WINDOW, upsert
from app.store.engine import writer
from app.store.schema import IdempotencyKey

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


def claim(engine: Engine, principal: str, key: str, digest: str, now: datetime,
          expires_at: datetime) -> Claim | Replay:
    """Claim the key, or return its recorded answer; IdempotencyConflict (409, 422) otherwise."""
    fresh = {"body_hash": digest, "created_at": now, "expires_at": expires_at, "response": None}
    where = (IdempotencyKey.principal == principal) & (IdempotencyKey.key == key)
    with writer(engine).begin() as conn:
        # Insert first: of two concurrent first requests, PostgreSQL makes the second wait for
        # the first's commit, then find its row (a SELECT would find nothing to lock).
        inserted = conn.execute(upsert(conn)(IdempotencyKey).values(principal=principal, key=key, **fresh)
                                .on_conflict_do_nothing().returning(IdempotencyKey.key)).first()
        if inserted is not None:
            return Claim(key)
        row = conn.execute(select(IdempotencyKey).where(where).with_for_update()).one()
        if row.created_at <= now - IDEMPOTENCY_WINDOW or (row.response is None and row.expires_at <= now):
            conn.execute(update(IdempotencyKey).where(where).values(**fresh))   # expired: start afresh
            return Claim(key)
        if row.body_hash != digest:
            raise IdempotencyConflict(422, f"This {HEADER} was used with a different request body in the "
                                           "last 24 hours; use a new key for a new request.")
        if row.response is None:
            raise IdempotencyConflict(409, f"A request with this {HEADER} is still running; retry when it "
                                           "has finished.")
        return Replay(row.response)


def release(engine: Engine, principal: str, key: str) -> None:
    """Give up a claim whose request ended without an answer to replay (refused, pool full)."""
    with writer(engine).begin() as conn:
        conn.execute(delete(IdempotencyKey).where(IdempotencyKey.principal == principal, IdempotencyKey.key == key,
                                                  IdempotencyKey.response.is_(None)))
