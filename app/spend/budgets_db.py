"""Holds against a budget, taken atomically across workers and instances.

One transaction per request: SQLite's BEGIN IMMEDIATE lets one writer in at a time; on
PostgreSQL the principal's day and month rows are locked (SELECT ... FOR UPDATE, always in
that order) before anything is read, so two requests of one principal take turns. The
statements are in writes.py.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine, delete

from app.spend.budgets import Limits, Periods, fits, remaining
from app.spend.writes import transaction, writing_engine
from app.store.schema import BudgetReservation

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
    with transaction(engine) as writes:
        used, expired = writes.standing(principal, periods, now)
        ids: list[int | None] = []
        left: dict[int, tuple[Decimal, str]] = {}
        for position, hold in enumerate(holds):
            if not fits(limits, used, hold.amount):
                ids.append(None)
                left[position] = remaining(limits, used)
                continue
            ids.append(writes.hold({"principal": principal, "request_id": (request_id or "")[:64],
                                    "model_id": hold.model_id, "amount": hold.amount, "day": periods.day,
                                    "month": periods.month, "expires_at": expires_at}))
            used = used.plus(hold.amount)
        if expired:   # a killed worker's holds count until they expire; then they go
            writes.drop_expired(principal, now)
    return Decision(ids, left)


def release(engine: Engine, reservation_ids: Sequence[int]) -> None:
    """Drop holds whose calls were never made."""
    if reservation_ids:
        with writing_engine(engine).begin() as conn:
            conn.execute(delete(BudgetReservation).where(BudgetReservation.id.in_(reservation_ids)))
