"""What send_prompt's router calls: hold budgets before the calls, record every item after them.

A request opens a Tab (its holds, taken in one transaction when its principal has a budget);
each batch of finished items is recorded in one transaction, before the client sees them.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from app.catalog import Model
from app.responses import dumps
from app.spend import budgets_db, idempotency_db, ledger_db
from app.spend.budgets import BudgetBook, Periods
from app.spend.errors import BudgetExceeded, SpendUnavailable
from app.spend.idempotency import Claim
from app.spend.money import usd
from app.spend.rows import ledger_row
from app.spend.worst_case import worst_case
from app.spend.writes import DATABASE_ERRORS
from app.tokens.counter import TokenCount

log = logging.getLogger(__name__)
# A hold outlives the request deadline by this much before a dead worker's hold stops counting.
HOLD_GRACE_S = 60.0


@dataclass(frozen=True)
class Planned:
    """A call the router is about to make: its position, model, effective max_tokens and count."""

    index: int
    model: Model
    max_tokens: int
    count: TokenCount


@dataclass(frozen=True)
class Refusal:
    """A call its budget could not hold: what was left, under which period's limit."""

    remaining: Decimal
    period: str

    def message(self) -> str:
        return (f"Budget exceeded: {usd(self.remaining)} USD left of this {self.period}'s budget, less than "
                f"this call could cost (its prompt and max_tokens at the model's prices).")


class Accountant:
    """Budgets and the ledger over one database, for every request of this app."""

    def __init__(self, engine: Engine, book: BudgetBook, deadline_s: float,
                 on_failure: Callable[[str], None] = lambda reason: None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self._engine, self._book = engine, book
        self._hold_for = timedelta(seconds=deadline_s + HOLD_GRACE_S)
        self._on_failure, self._clock = on_failure, clock

    @property
    def engine(self) -> Engine:
        return self._engine

    def hold_until(self, now: datetime) -> datetime:
        """When a hold (or an idempotency claim) taken now stops counting if nobody settles it."""
        return now + self._hold_for

    def open(self, principal: str, request_id: str | None, calls: Sequence[Planned],
             claim: Claim | None = None) -> Tab:
        """Hold the calls' worst cases (SpendUnavailable if the database cannot say)."""
        now = self._clock()
        tab = Tab(self, principal, request_id or "", now, claim)
        limits = self._book.limits(principal)
        if not limits.on or not calls:
            return tab
        holds = [budgets_db.Hold(call.model.id, worst_case(call.model, call.count, call.max_tokens)) for call in calls]
        try:
            decision = budgets_db.reserve(self._engine, principal, tab.request_id, tab.periods, limits, holds,
                                          now, self.hold_until(now))
        except DATABASE_ERRORS as exc:
            log.error("budget hold failed: %s", type(exc).__name__)
            raise SpendUnavailable("The spend database is unavailable, so budgets cannot be checked; "
                                   "retry shortly.") from None
        for position, call in enumerate(calls):
            reservation = decision.reservation_ids[position]
            if reservation is None:
                tab.refused[call.index] = Refusal(*decision.left[position])
            else:
                tab.held[call.index] = reservation
        return tab

    def write(self, entry: Callable[[], ledger_db.Entry]) -> bool:
        """Build and commit one entry; on failure log at ERROR, count it, and say so."""
        try:
            built = entry()
            ledger_db.write(self._engine, built)
            return True
        except Exception as exc:   # the answer stands: only its record is missing, and that is told
            log.error("ledger write failed, a request's rows were not recorded: %s", type(exc).__name__)
            self._on_failure(type(exc).__name__)
            return False

    def release(self, reservation_ids: list[int]) -> None:
        try:
            budgets_db.release(self._engine, reservation_ids)
        except DATABASE_ERRORS as exc:   # the holds expire by themselves
            log.error("releasing budget holds failed: %s", type(exc).__name__)

    def forget(self, principal: str, key: str) -> None:
        """Drop an Idempotency-Key claim that has no answer worth replaying."""
        try:
            idempotency_db.release(self._engine, principal, key)
        except DATABASE_ERRORS as exc:   # the claim expires by itself after the deadline
            log.error("releasing an Idempotency-Key failed: %s", type(exc).__name__)


@dataclass
class Tab:
    """One request's holds, refusals and records."""

    accountant: Accountant
    principal: str
    request_id: str
    started_at: datetime   # every row carries it, so a row and its hold share a day and a month
    claim: Claim | None
    held: dict[int, int] = field(default_factory=dict)          # model index -> reservation id
    refused: dict[int, Refusal] = field(default_factory=dict)   # model index -> why
    base_input_tokens: int | None = None   # the prompt's exact o200k count (calibrates family estimates)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refusal_error(self) -> BudgetExceeded:
        """The 402 for a request whose every model was refused."""
        closest = max(self.refused.values(), key=lambda refusal: refusal.remaining)
        return BudgetExceeded(closest.remaining, f"{closest.message()} No model of this request fits.")

    def record(self, entries: Sequence[tuple[int, Model, dict[str, Any]]],
               envelope: dict[str, Any] | None = None) -> bool:
        """Commit the items' ledger rows (and the answer for an Idempotency-Key) in one transaction;
        set each item's ``recorded`` to whether that worked."""
        for _, _, item in entries:
            item["recorded"] = True   # as the stored answer must say
        with self._lock:
            settled = [self.held.pop(index) for index, _, _ in entries if index in self.held]

        def entry() -> ledger_db.Entry:
            rows = [ledger_row(model, item, at=self.started_at, request_id=self.request_id,
                               principal=self.principal, base_input_tokens=self.base_input_tokens)
                    for _, model, item in entries]
            answer = (self.claim.key, dumps(envelope)) if self.claim and envelope is not None else None
            return ledger_db.Entry(self.principal, self.periods, rows, settled, answer)

        ok = self.accountant.write(entry)
        if not ok:
            for _, _, item in entries:
                item["recorded"] = False
        return ok

    def forget_claim(self) -> None:
        """Free this request's Idempotency-Key: every item failed, so a retry may run at once
        rather than replay the failure."""
        if self.claim is not None:
            self.accountant.forget(self.principal, self.claim.key)

    def release(self) -> None:
        """Drop the holds of calls that will not be made."""
        with self._lock:
            held, self.held = list(self.held.values()), {}
        self.accountant.release(held)

    @property
    def periods(self) -> Periods:
        return Periods.at(self.started_at)
