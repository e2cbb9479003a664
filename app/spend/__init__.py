"""Spend: the ledger of send_prompt calls, budgets, Idempotency-Key, and GET /api/usage.

Pure logic (rows, worst cases, limits) sits apart from the database code (``*_db.py``); the
router sees one Accountant (reserve before the calls, record after them).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from app.observability.metrics import metrics
from app.spend import idempotency, idempotency_db
from app.spend.accountant import Accountant
from app.spend.budgets import read_budgets
from app.spend.errors import SpendUnavailable
from app.spend.readiness import DatabaseCheck


@dataclass(frozen=True)
class Spend:
    """What app.extensions["spend"] holds."""

    accountant: Accountant
    admins: frozenset[str]          # USAGE_ADMIN_KEYS: principals that see everyone's usage
    database: DatabaseCheck

    def claim(self, principal: str, key: str, body: dict[str, Any]) -> idempotency.Claim | idempotency.Replay:
        """Claim an Idempotency-Key (IdempotencyConflict, or SpendUnavailable without a database)."""
        now = datetime.now(UTC)
        try:
            return idempotency_db.claim(self.accountant.engine, principal, key, idempotency.body_hash(body), now,
                                     self.accountant.hold_until(now))
        except SQLAlchemyError:
            raise SpendUnavailable("The database that keeps Idempotency-Key answers is unavailable; "
                                   "retry shortly.") from None

    def release(self, principal: str, claim: idempotency.Claim | None) -> None:
        """Free a claim whose request ended without an answer (a retry may then run)."""
        if claim is not None:
            try:
                idempotency_db.release(self.accountant.engine, principal, claim.key)
            except SQLAlchemyError:   # the claim expires by itself after the deadline
                pass


def init_app(app: Flask, settings: Mapping[str, Any]) -> None:
    """Build the accountant over the store's engine; /api/usage, `price-runner usage`, the /ready check."""
    from app.spend.cli import usage_cli
    from app.spend.views import bp

    engine, catalog = app.extensions["store"].engine, app.extensions.get("catalog")
    # The catalog's clock: a call's ledger rows and holds carry the instant its prices are taken at
    # (the command-line app has no catalog: the wall clock).
    clock = (lambda: catalog.clock()) if catalog is not None else (lambda: datetime.now(UTC))
    accountant = Accountant(engine, read_budgets(settings), settings["PROVIDER_TIMEOUT"],
                            on_failure=_count_failure if settings["METRICS_ENABLED"] else lambda reason: None,
                            clock=clock)
    app.extensions["spend"] = Spend(accountant, frozenset(settings["USAGE_ADMIN_KEYS"]), DatabaseCheck(engine))
    app.register_blueprint(bp)
    app.cli.add_command(usage_cli)


def _count_failure(reason: str) -> None:
    metrics().ledger_write_failures.labels(reason).inc()
