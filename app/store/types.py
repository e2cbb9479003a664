"""Column types that keep money exact and times in UTC on both SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, Numeric
from sqlalchemy.types import TypeDecorator

MONEY_SCALE = 12   # decimal places: a per-MTok price of 0.0375 costs 0.0000000375 USD a token
MONEY_PRECISION = 18   # digits: up to 999,999.999999999999 USD in one value; a SQLite integer holds it


class Money(TypeDecorator):
    """USD as an exact Decimal: NUMERIC(18, 12) on PostgreSQL, integer picodollars on SQLite.

    SQLite has no decimal type (its NUMERIC stores floats), so there the amount is stored
    scaled to a 64-bit integer, which SQLite adds up exactly (a sum past 9.2 million USD is an
    "integer overflow" error, never a wrong total). A value with more places, or too large, is
    refused rather than rounded.
    """

    impl = Numeric(MONEY_PRECISION, MONEY_SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(MONEY_PRECISION, MONEY_SCALE, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, (Decimal, int)):
            raise TypeError(f"money must be a Decimal or an int, not {type(value).__name__}")
        scaled = Decimal(value).scaleb(MONEY_SCALE)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {MONEY_SCALE} decimal places")
        if abs(scaled) >= 10 ** MONEY_PRECISION:
            raise ValueError(f"{value} is too large: money values stay below 1,000,000")
        return int(scaled) if dialect.name == "sqlite" else Decimal(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-MONEY_SCALE)
        return Decimal(value)


class UtcDateTime(TypeDecorator):
    """An aware UTC datetime; stored naive in UTC where the database keeps no zone (SQLite)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("datetimes must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
