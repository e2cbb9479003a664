"""Usage from the ledger: calls, tokens and exact cost per model, provider, principal or UTC day."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Engine, func, select

from app.spend.accuracy import Checked
from app.store.engine import reading
from app.store.schema import LedgerEntry

TOKENS = ("input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens")
COLUMNS = ("key", "calls", *TOKENS, "cost", "estimated_input_tokens")


@dataclass(frozen=True)
class UsageRow:
    key: str
    calls: int
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    cost: Decimal
    estimated_input_tokens: int


def _group_column(group_by: str, dialect: str):
    if group_by == "day":
        # The UTC date: SQLite keeps the naive UTC text, PostgreSQL a timestamptz.
        moment = LedgerEntry.created_at if dialect == "sqlite" else func.timezone("UTC", LedgerEntry.created_at)
        return func.date(moment)
    return {"model": LedgerEntry.model_id, "provider": LedgerEntry.provider,
            "principal": LedgerEntry.principal}[group_by]


def usage(engine: Engine, start: datetime, end: datetime, group_by: str,
          principal: str | None = None) -> list[UsageRow]:
    """Sum the ledger rows from start (inclusive) to end (exclusive), per group, in key order;
    only principal's rows when given."""
    key = _group_column(group_by, engine.dialect.name).label("key")
    query = (select(key, func.count().label("calls"),
                    *(func.coalesce(func.sum(getattr(LedgerEntry, name)), 0).label(name) for name in TOKENS),
                    func.sum(LedgerEntry.cost).label("cost"),
                    func.coalesce(func.sum(LedgerEntry.estimated_input_tokens), 0).label("estimated_input_tokens"))
             .where(LedgerEntry.created_at >= start, LedgerEntry.created_at < end)
             .group_by(key).order_by(key))
    if principal is not None:
        query = query.where(LedgerEntry.principal == principal)
    with reading(engine) as session:
        found = session.execute(query).all()
    return [UsageRow(_text(row.key), row.calls, *(int(getattr(row, name)) for name in TOKENS),
                     row.cost if row.cost is not None else Decimal(0), int(row.estimated_input_tokens))
            for row in found]


def _text(key: object) -> str:
    return key.isoformat() if isinstance(key, date) else str(key)


def checked_calls(engine: Engine, start: datetime, end: datetime, principal: str | None = None) -> list[Checked]:
    """The billed calls from start to end (only principal's when given), with what we estimated for them."""
    query = (select(LedgerEntry.model_id, LedgerEntry.estimated_input_tokens, LedgerEntry.input_tokens,
                    LedgerEntry.output_tokens, LedgerEntry.predicted_output_low, LedgerEntry.predicted_output_high)
             .where(LedgerEntry.created_at >= start, LedgerEntry.created_at < end, LedgerEntry.outcome == "ok",
                    LedgerEntry.cost_basis == "billed"))
    if principal is not None:
        query = query.where(LedgerEntry.principal == principal)
    with reading(engine) as session:
        return [Checked(*row) for row in session.execute(query)]
