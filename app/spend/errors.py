"""What stops a send_prompt before any vendor is called: the budget, the database, a reused key."""
from __future__ import annotations

from decimal import Decimal


class BudgetExceeded(Exception):
    """No chosen model fits what is left of the caller's budget (HTTP 402)."""

    def __init__(self, remaining: Decimal, message: str):
        super().__init__(message)
        self.remaining, self.message = remaining, message


class SpendUnavailable(Exception):
    """The database that holds budgets or idempotency keys cannot be reached (HTTP 503)."""


class IdempotencyConflict(Exception):
    """An Idempotency-Key is in use: ``status`` 409 (still running) or 422 (another body)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message
