"""Exact money: fractions of a USD to the ledger's Decimal, rounded only where a column must."""
from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from app.store.types import MONEY_SCALE

ZERO = Decimal(0)


def to_money(amount: Fraction, *, up: bool = False) -> Decimal:
    """Amount in whole 1e-12 USD (the Money column's step): exact for catalog prices, else rounded
    half-even, or up (``up``) for a budget hold, which must never understate."""
    scaled = amount * 10 ** MONEY_SCALE
    units = math.ceil(scaled) if up else round(scaled)
    return Decimal(units).scaleb(-MONEY_SCALE)


def usd(amount: Decimal) -> str:
    """A Decimal as plain text without exponent or trailing zeros (for messages and CSV)."""
    text = format(amount.normalize(), "f")
    return "0" if text in ("-0", "0E-12") else text
