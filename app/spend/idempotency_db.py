"""Idempotency-Key claims in the database: claim (or find the answer), release."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, select, update

from app.spend.errors import IdempotencyConflict
from app.spend.idempotency import HEADER, Claim, Replay
from app.spend.ledger_db import IDEMPOTENCY_WINDOW, upsert
from app.spend.writes import writing_engine
from app.store.schema import IdempotencyKey


def claim(engine: Engine, principal: str, key: str, digest: str, now: datetime,
          expires_at: datetime) -> Claim | Replay:
    """Claim the key, or return its recorded answer; IdempotencyConflict (409, 422) otherwise."""
    fresh = {"body_hash": digest, "created_at": now, "expires_at": expires_at, "response": None}
    where = (IdempotencyKey.principal == principal) & (IdempotencyKey.key == key)
    with writing_engine(engine).begin() as conn:
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
    with writing_engine(engine).begin() as conn:
        conn.execute(delete(IdempotencyKey).where(IdempotencyKey.principal == principal, IdempotencyKey.key == key,
                                                  IdempotencyKey.response.is_(None)))
