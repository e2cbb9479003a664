"""Usage rows as text: CSV (exact costs), an aligned table, JSON-ready dicts; the default period."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

from app.spend.money import usd
from app.spend.usage_db import COLUMNS, UsageRow


def as_csv(rows: list[UsageRow]) -> str:
    """A header and one line per row; costs exact, keys safe from spreadsheet formulas."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(_cells(row))
    return out.getvalue()


def as_table(rows: list[UsageRow]) -> str:
    """Columns aligned for a terminal, with a total line."""
    lines = [list(COLUMNS), *(_cells(row) for row in rows), ["total", *totals(rows)]]
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(str(cell).ljust(width) if i == 0 else str(cell).rjust(width)
                               for i, (cell, width) in enumerate(zip(line, widths))).rstrip()
                     for line in lines) + "\n"


def as_dict(row: UsageRow, *, exact: bool = False) -> dict:
    """A row as JSON: cost a float (the API), or its exact text (exact)."""
    return {name: (usd(row.cost) if exact else float(row.cost)) if name == "cost" else getattr(row, name)
            for name in COLUMNS}


def totals(rows: list[UsageRow]) -> list:
    """The sums of every column after the key (cost exact, as text)."""
    sums = [sum((getattr(row, name) for row in rows), Decimal(0) if name == "cost" else 0) for name in COLUMNS[1:]]
    return [usd(value) if name == "cost" else value for name, value in zip(COLUMNS[1:], sums)]


def _cells(row: UsageRow) -> list:
    return [safe_key(row.key), *(usd(row.cost) if name == "cost" else getattr(row, name) for name in COLUMNS[1:])]


def safe_key(key: str) -> str:
    """A principal name (a JWT subject) is the caller's text: a spreadsheet must not run it as a formula."""
    return "'" + key if key[:1] in ("=", "+", "-", "@", "\t", "\r") else key


def iso(moment: datetime) -> str:
    """A UTC moment as ISO-8601 with Z."""
    return moment.isoformat().replace("+00:00", "Z")


def month_start(now: datetime | None = None) -> datetime:
    """00:00 UTC on the first day of this UTC month."""
    now = now or datetime.now(UTC)
    return datetime(now.year, now.month, 1, tzinfo=UTC)


def next_month(now: datetime | None = None) -> datetime:
    """00:00 UTC on the first day of next UTC month."""
    start = month_start(now)
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)
