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

from sqlalchemy import Connection, Engine, bindparam, case, delete, func, insert, select

from app.spend.budgets import DAY, MONTH, Limits, Periods, Standing, fits, remaining
from app.spend.ledger_db import ensure_periods, writing_engine
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
    with writing_engine(engine).begin() as conn:
        used, expired = standing(conn, principal, periods, now)
        ids: list[int | None] = []
        left: dict[int, tuple[Decimal, str]] = {}
        for position, hold in enumerate(holds):
            if not fits(limits, used, hold.amount):
                ids.append(None)
                left[position] = remaining(limits, used)
                continue
            ids.append(conn.execute(_HOLD, {
                "principal": principal, "request_id": (request_id or "")[:64], "model_id": hold.model_id,
                "amount": hold.amount, "day": periods.day, "month": periods.month,
                "expires_at": expires_at}).scalar_one())
            used = used.plus(hold.amount)
        if expired:   # a killed worker's holds count until they expire; then they go
            conn.execute(_DROP_EXPIRED, {"principal": principal, "now": now})
    return Decision(ids, left)


_MINE = BudgetReservation.principal == bindparam("principal")
_LIVE = BudgetReservation.expires_at > bindparam("now")


# Built once (a statement made afresh per request costs more than running it). Two statements:
# on PostgreSQL a statement that waited for the lock still reads with the snapshot it started
# with, so the holds are summed by a second statement, after the lock is held.
_PERIODS = (select(BudgetPeriod.period, BudgetPeriod.spent)
            .where(BudgetPeriod.principal == bindparam("principal"),
                   ((BudgetPeriod.period == DAY) & (BudgetPeriod.start == bindparam("day")))
                   | ((BudgetPeriod.period == MONTH) & (BudgetPeriod.start == bindparam("month"))))
            .order_by(BudgetPeriod.period).with_for_update())
# The principal's holds are few (its calls in flight, and any a killed worker left): one pass.
_HELD = select(
    func.coalesce(func.sum(case((_LIVE & (BudgetReservation.day == bindparam("day")), BudgetReservation.amount))), 0),
    func.coalesce(func.sum(case((_LIVE & (BudgetReservation.month == bindparam("month")),
                                 BudgetReservation.amount))), 0),
    func.count(case((~_LIVE, 1)))).where(_MINE)
_HOLD = insert(BudgetReservation).values(
    **{name: bindparam(name) for name in ("principal", "request_id", "model_id", "amount", "day", "month",
                                          "expires_at")}).returning(BudgetReservation.id)
_DROP_EXPIRED = delete(BudgetReservation).where(_MINE, ~_LIVE)


def standing(conn: Connection, principal: str, periods: Periods, now: datetime) -> tuple[Standing, int]:
    """Lock the principal's period rows; return settled spend plus live holds per period, and how
    many of its holds have expired."""
    keys = {"principal": principal, "day": periods.day, "month": periods.month, "now": now}
    spent = dict(conn.execute(_PERIODS, keys).all())
    if len(spent) < 2:   # the principal's first call this day or month: make its rows, then lock them
        ensure_periods(conn, principal, periods)
        spent = dict(conn.execute(_PERIODS, keys).all())
    held_day, held_month, expired = conn.execute(_HELD, keys).one()
    return Standing(spent[DAY] + held_day, spent[MONTH] + held_month), expired


def release(engine: Engine, reservation_ids: Sequence[int]) -> None:
    """Drop holds whose calls were never made."""
    if reservation_ids:
        with writing_engine(engine).begin() as conn:
            conn.execute(delete(BudgetReservation).where(BudgetReservation.id.in_(reservation_ids)))
