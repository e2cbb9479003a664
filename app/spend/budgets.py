"""Budgets: each principal's daily and monthly limits (UTC), and whether a hold fits under them."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from app.config import ConfigError

DAY, MONTH = "day", "month"
FILE_KEYS = {"daily_usd": DAY, "monthly_usd": MONTH}


@dataclass(frozen=True, slots=True)
class Limits:
    """USD a principal may spend per UTC day and per UTC month; None: no limit."""

    day: Decimal | None = None
    month: Decimal | None = None

    @property
    def on(self) -> bool:
        return self.day is not None or self.month is not None

    def of(self, period: str) -> Decimal | None:
        return self.day if period == DAY else self.month


@dataclass(frozen=True, slots=True)
class Periods:
    """The UTC day and month a moment falls in (their first days)."""

    day: date
    month: date

    @classmethod
    def at(cls, moment: datetime) -> Periods:
        day = moment.date()
        return cls(day, day.replace(day=1))


@dataclass(frozen=True, slots=True)
class Standing:
    """What a principal has used in each period: settled spend plus live holds."""

    day: Decimal
    month: Decimal

    def of(self, period: str) -> Decimal:
        return self.day if period == DAY else self.month

    def plus(self, amount: Decimal) -> Standing:
        return Standing(self.day + amount, self.month + amount)


def remaining(limits: Limits, used: Standing) -> tuple[Decimal, str] | None:
    """What is left under the tighter limit, and that limit's period (None without limits)."""
    left = [(max(limit - used.of(period), Decimal(0)), period)
            for period in (DAY, MONTH) if (limit := limits.of(period)) is not None]
    return min(left) if left else None


def fits(limits: Limits, used: Standing, amount: Decimal) -> bool:
    """Tell whether holding amount more keeps every limit."""
    return all(used.of(period) + amount <= limit
               for period in (DAY, MONTH) if (limit := limits.of(period)) is not None)


class BudgetBook:
    """The limits of every principal: the defaults, overridden by name from BUDGETS_FILE."""

    def __init__(self, default: Limits, overrides: Mapping[str, Limits] | None = None):
        self._default, self._overrides = default, dict(overrides or {})

    def limits(self, principal: str) -> Limits:
        return self._overrides.get(principal, self._default)


def read_budgets(settings: Mapping[str, Any]) -> BudgetBook:
    """The budget book from BUDGET_DAILY_USD, BUDGET_MONTHLY_USD and BUDGETS_FILE (ConfigError if bad)."""
    default = Limits(*(None if settings[name] is None else parse_usd(settings[name], name)
                       for name in ("BUDGET_DAILY_USD", "BUDGET_MONTHLY_USD")))
    path = settings["BUDGETS_FILE"]
    return BudgetBook(default, read_budgets_file(path, default) if path else {})


def read_budgets_file(path: str | Path, default: Limits) -> dict[str, Limits]:
    """principal -> Limits; a key left out keeps the default, null means no limit."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"BUDGETS_FILE {path}: cannot read it ({type(exc).__name__})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"BUDGETS_FILE {path}: expected a mapping of principal names")
    return {str(name): _limits(path, str(name), entry, default) for name, entry in data.items()}


def _limits(path: str | Path, name: str, entry: Any, default: Limits) -> Limits:
    if not isinstance(entry, dict) or not set(entry) <= FILE_KEYS.keys():
        raise ConfigError(f"BUDGETS_FILE {path}: {name!r} must be a mapping with daily_usd and/or monthly_usd")
    values = {period: default.of(period) for period in (DAY, MONTH)}
    for key, period in FILE_KEYS.items():
        if key in entry:
            values[period] = None if entry[key] is None else parse_usd(entry[key], f"BUDGETS_FILE {path}: {name}.{key}")
    return Limits(values[DAY], values[MONTH])


def parse_usd(value: Any, where: str) -> Decimal:
    """A non-negative USD amount as an exact Decimal (ConfigError naming where)."""
    if isinstance(value, bool):
        raise ConfigError(f"{where}: expected a USD amount, got {value!r}")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ConfigError(f"{where}: expected a USD amount, got {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ConfigError(f"{where}: expected a USD amount of 0 or more, got {value!r}")
    return amount
