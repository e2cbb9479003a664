"""Holds against a budget, taken atomically across workers and instances.

One transaction per request: SQLite's BEGIN IMMEDIATE lets one writer in at a time; on
PostgreSQL the principal's day and month rows are locked (SELECT ... FOR UPDATE, always in
that order) before anything is read, so two requests of one principal take turns.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, Engine, delete, func, insert, select

from app.spend.budgets import DAY, MONTH, Limits, Periods, Standing, fits, remaining
from app.spend.ledger_db import period_rows, upsert
from app.store.engine import writer
from app.store.schema import BudgetPeriod, BudgetReservation

ZERO = Decimal(0)


@dataclass(frozen=True)
class Hold:
    """One call to be held: the model and its worst-case cost."""

    model_id: str
    amount: Decimal


@dataclass(frozen=True)
class Decision:
    """Per hold, in order: the reservation id, or None when it did not fit."""

    reservation_ids: list[int | None]
    left: dict[int, tuple[Decimal, str]]   # refused position -> (what was left, the tighter limit's period)


def reserve(engine: Engine, principal: str, request_id: str, periods: Periods, limits: Limits,
            holds: Sequence[Hold], now: datetime, expires_at: datetime) -> Decision:
    """Hold each call's amount while it fits, in order; refuse the ones that do not."""
    with writer(engine).begin() as conn:
        used = standing(conn, principal, periods, now)
        ids: list[int | None] = []
        left: dict[int, tuple[Decimal, str]] = {}
        for position, hold in enumerate(holds):
            if not fits(limits, used, hold.amount):
                ids.append(None)
                left[position] = remaining(limits, used)
                continue
            ids.append(conn.execute(insert(BudgetReservation).values(
                principal=principal, request_id=(request_id or "")[:64], model_id=hold.model_id, amount=hold.amount,
                day=periods.day, month=periods.month, expires_at=expires_at).returning(BudgetReservation.id)).scalar_one())
            used = used.plus(hold.amount)
        # A killed worker's holds count until they expire; then they go.
        conn.execute(delete(BudgetReservation).where(BudgetReservation.principal == principal,
                                                      BudgetReservation.expires_at <= now))
    return Decision(ids, left)


def standing(conn: Connection, principal: str, periods: Periods, now: datetime) -> Standing:
    """Lock the principal's period rows; return settled spend plus live holds, per period."""
    conn.execute(upsert(conn)(BudgetPeriod).values(period_rows(principal, periods, ZERO)).on_conflict_do_nothing())
    spent = dict(conn.execute(
        select(BudgetPeriod.period, BudgetPeriod.spent)
        .where(BudgetPeriod.principal == principal,
               ((BudgetPeriod.period == DAY) & (BudgetPeriod.start == periods.day))
               | ((BudgetPeriod.period == MONTH) & (BudgetPeriod.start == periods.month)))
        .order_by(BudgetPeriod.period).with_for_update()).all())
    live = (BudgetReservation.principal == principal) & (BudgetReservation.expires_at > now)
    held_day = conn.scalar(select(func.sum(BudgetReservation.amount)).where(live, BudgetReservation.day == periods.day))
    held_month = conn.scalar(select(func.sum(BudgetReservation.amount)).where(
        live, BudgetReservation.month == periods.month))
    return Standing(spent[DAY] + (held_day or ZERO), spent[MONTH] + (held_month or ZERO))


def release(engine: Engine, reservation_ids: Sequence[int]) -> None:
    """Drop holds whose calls were never made."""
    if reservation_ids:
        with writer(engine).begin() as conn:
            conn.execute(delete(BudgetReservation).where(BudgetReservation.id.in_(reservation_ids)))
