"""The billed calls the outlook is built from: one query per refresh, never per request."""
from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Engine, select

from app.store.schema import LedgerEntry

MAX_CALLS = 200_000   # the newest calls only: a refresh stays a bounded read


class BilledCall(NamedTuple):
    model_id: str
    input_tokens: int
    output_tokens: int               # reasoning included: it is billed as output
    base_input_tokens: int | None    # the prompt's o200k count, when a family estimate was made from it


def billed_calls(engine: Engine, since: datetime, limit: int = MAX_CALLS) -> list[BilledCall]:
    """The calls since ``since`` whose usage the vendor reported (outcome ok, cost_basis billed), newest first."""
    query = (select(LedgerEntry.model_id, LedgerEntry.input_tokens, LedgerEntry.output_tokens,
                    LedgerEntry.base_input_tokens)
             .where(LedgerEntry.created_at >= since, LedgerEntry.outcome == "ok",
                    LedgerEntry.cost_basis == "billed", LedgerEntry.input_tokens.is_not(None),
                    LedgerEntry.output_tokens.is_not(None))
             .order_by(LedgerEntry.id.desc()).limit(limit))
    with engine.connect() as conn:
        return [BilledCall(*row) for row in conn.execute(query)]
