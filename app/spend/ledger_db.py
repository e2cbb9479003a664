"""The ledger's writes: a request's rows, its settled holds, its period totals and its stored
answer, in one short transaction; purging old rows."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from app.spend.budgets import DAY, MONTH, Periods
from app.spend.writes import transaction, writing_engine
from app.store.schema import BudgetPeriod, BudgetReservation, IdempotencyKey, LedgerEntry

IDEMPOTENCY_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Entry:
    """What one transaction writes for a request."""

    principal: str
    periods: Periods
    rows: Sequence[dict[str, Any]]
    settled: Sequence[int] = ()                 # reservation ids these rows settle
    answer: tuple[str, bytes] | None = None     # (Idempotency-Key, the response envelope)


def write(engine: Engine, entry: Entry) -> None:
    """Commit the rows, settle their holds, add their cost to the periods, store the answer."""
    with transaction(engine) as writes:
        if entry.rows:
            writes.insert_rows(entry.rows)
        if entry.settled:
            writes.settle(entry.settled)
        spent = sum((row["cost"] for row in entry.rows), Decimal(0))
        if spent:
            writes.add_spend(entry.principal, entry.periods, spent)
        if entry.answer is not None:
            writes.store_answer(entry.principal, *entry.answer)


def upsert(conn: Connection):
    """The dialect's INSERT with ON CONFLICT (SQLite and PostgreSQL spell it the same)."""
    return (sqlite if conn.dialect.name == "sqlite" else postgresql).insert


@dataclass(frozen=True)
class Purged:
    ledger: int
    periods: int
    idempotency_keys: int
    reservations: int


def purge(engine: Engine, before: datetime, now: datetime) -> Purged:
    """Delete ledger rows from before ``before`` and the periods that ended by then; drop
    idempotency keys past their 24 hours and expired holds."""
    day = before.date()
    with writing_engine(engine).begin() as conn:
        ledger = conn.execute(delete(LedgerEntry).where(LedgerEntry.created_at < before)).rowcount
        periods = conn.execute(delete(BudgetPeriod).where(or_(
            and_(BudgetPeriod.period == DAY, BudgetPeriod.start < day),
            and_(BudgetPeriod.period == MONTH, BudgetPeriod.start < day.replace(day=1))))).rowcount
        keys = conn.execute(delete(IdempotencyKey).where(
            IdempotencyKey.created_at <= now - IDEMPOTENCY_WINDOW, IdempotencyKey.expires_at <= now)).rowcount
        holds = conn.execute(delete(BudgetReservation).where(BudgetReservation.expires_at <= now)).rowcount
    return Purged(ledger, periods, keys, holds)


def probe(engine: Engine) -> None:
    """Raise if the database does not answer or lacks the spend tables (not migrated)."""
    with engine.connect() as conn:
        for table in (LedgerEntry, BudgetPeriod, BudgetReservation, IdempotencyKey):
            conn.execute(select(literal(1)).select_from(table).limit(0))
