"""Who is calling, as the ledger, budgets and idempotency keys name them."""
from __future__ import annotations

from app.security.gate import current_principal

ANONYMOUS = "anonymous"   # every caller when authentication is off


def current_caller() -> str:
    """This request's principal name, or ANONYMOUS."""
    principal = current_principal()
    return str(principal) if principal else ANONYMOUS
