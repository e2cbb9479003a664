"""The ledger's writes: a request's rows, its settled holds, its period totals and its stored
answer, in one short transaction; purging old rows."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Date, Engine, and_, bindparam, delete, insert, literal, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from app.spend.budgets import DAY, MONTH, Periods
from app.store.engine import writer
from app.store.types import Money
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
    with writing_engine(engine).begin() as conn:
        if entry.rows:
            conn.execute(_LEDGER_INSERT, list(entry.rows))
        if entry.settled:
            conn.execute(_SETTLE, {"ids": list(entry.settled)})
        spent = sum((row["cost"] for row in entry.rows), Decimal(0))
        if spent:
            add_spend(conn, entry.principal, entry.periods, spent)
        if entry.answer is not None:
            key, body = entry.answer
            conn.execute(_STORE_ANSWER, {"p": entry.principal, "k": key, "body": body})


# Built once: a statement made afresh on every request costs more than the write itself.
_LEDGER_INSERT = insert(LedgerEntry)
_SETTLE = delete(BudgetReservation).where(BudgetReservation.id.in_(bindparam("ids", expanding=True)))
_STORE_ANSWER = (update(IdempotencyKey).values(response=bindparam("body"))
                 .where(IdempotencyKey.principal == bindparam("p"), IdempotencyKey.key == bindparam("k")))


def upsert(conn: Connection):
    """The dialect's INSERT with ON CONFLICT (SQLite and PostgreSQL spell it the same)."""
    return (sqlite if conn.dialect.name == "sqlite" else postgresql).insert


# Both rows in one statement, as text: SQLAlchemy does not cache a multi-row INSERT it builds,
# and compiling it on every request cost more than running it. SQLite and PostgreSQL agree on it.
_PERIODS_SQL = ("INSERT INTO budget_periods (principal, period, start, spent) "
                "VALUES (:principal, 'day', :day, :spent), (:principal, 'month', :month, :spent) "
                "ON CONFLICT (principal, period, start) DO ")
_PERIOD_TYPES = (bindparam("day", type_=Date()), bindparam("month", type_=Date()), bindparam("spent", type_=Money()))
_ENSURE_PERIODS = text(_PERIODS_SQL + "NOTHING").bindparams(*_PERIOD_TYPES)
_ADD_SPEND = text(_PERIODS_SQL + "UPDATE SET spent = budget_periods.spent + excluded.spent").bindparams(*_PERIOD_TYPES)


def _period_keys(principal: str, periods: Periods, amount: Decimal) -> dict[str, Any]:
    return {"principal": principal, DAY: periods.day, MONTH: periods.month, "spent": amount}


def ensure_periods(conn: Connection, principal: str, periods: Periods) -> None:
    """Make the principal's day and month rows, at 0, unless they exist."""
    conn.execute(_ENSURE_PERIODS, _period_keys(principal, periods, Decimal(0)))


def add_spend(conn: Connection, principal: str, periods: Periods, amount: Decimal) -> None:
    """Add amount to the principal's day and month totals (rows made on first use)."""
    conn.execute(_ADD_SPEND, _period_keys(principal, periods, amount))


@lru_cache(maxsize=8)
def writing_engine(engine: Engine) -> Engine:
    """The engine's writer (BEGIN IMMEDIATE on SQLite), made once rather than per transaction."""
    return writer(engine)


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
    with writer(engine).begin() as conn:
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
