"""Who is calling, as the ledger, budgets and idempotency keys name them (one definition: security's)."""
from app.security.gate import ANONYMOUS, current_caller

__all__ = ["ANONYMOUS", "current_caller"]
