"""Price windows (time-of-day prices), and DeepSeek's corrected price history.

The three deepseek/ models were stored with one version since 1970 at DeepSeek's peak rate. This
corrects that wrong data once: the flat prices before DeepSeek priced by time of day, its windows
from 2026-08-17 (every day), the weekend rule from 2026-08-22T16:00Z (00:00 Beijing time on
2026-08-23) and V4 Flash's routing to V4.1 Flash from 2026-09-10. The wrong row keeps its id
(ledger rows point at it and keep the cost they recorded) and becomes the corrected first version.

Revision ID: 0005_windows
Revises: 0004
Create Date: 2026-12-08
"""
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

from app.store.types import Money, UtcDateTime

revision = "0005_windows"
down_revision = "0004"
branch_labels = None
depends_on = None

CHECKED = date(2026, 12, 8)
EVER = datetime(1970, 1, 1, tzinfo=UTC)
DAILY = datetime(2026, 8, 17, tzinfo=UTC)
WEEKDAYS_ONLY = datetime(2026, 8, 22, 16, tzinfo=UTC)
V41_FLASH = datetime(2026, 9, 10, tzinfo=UTC)
PAGE = "https://api-docs.deepseek.com/quick_start/pricing"
SOURCE = {
    EVER: "genai-prices 0.2.5",
    DAILY: "genai-prices 0.2.5; windows from 2026-08-17 every day: DeepSeek via "
           "docs.apiyi.com/en/live/2026-08/deepseek-price-peak-tier (read 2026-12-08)",
    WEEKDAYS_ONLY: "DeepSeek weekend rule from 00:00 Beijing time 2026-08-23 (jeffstric/ZJT#685 quoting "
                   f"DeepSeek); hours and rates as the pricing page {PAGE} (OmniRoute#11210; read 2026-12-08)",
    V41_FLASH: f"genai-prices 0.2.5; windows: DeepSeek pricing page {PAGE} as quoted in "
               "github.com/diegosouzapw/OmniRoute/pull/11210 (read 2026-12-08)",
}
EVERY_DAY, MON_FRI = "Mon-Sun 01:00-04:00 06:00-10:00", "Mon-Fri 01:00-04:00 06:00-10:00"
PEAK_RULES = {DAILY: EVERY_DAY, WEEKDAYS_ONLY: MON_FRI, V41_FLASH: MON_FRI}


def _windowed(start: datetime, peak: tuple[str, str, str], off_peak: tuple[str, str, str], *,
              source: str | None = None) -> list[tuple]:
    source = source or SOURCE[start]
    schedule = PEAK_RULES.get(start, MON_FRI)
    return [(start, *peak, "peak", schedule, source), (start, *off_peak, "off_peak", None, source)]


# model id -> versions as (start, input, output, cached input, window, schedule, source), first one first
CORRECTED = {
    "deepseek/deepseek-v4-pro": [
        (EVER, "0.435", "0.87", "0.003625", "", None, SOURCE[EVER]),
        *_windowed(DAILY, ("1.32", "3.96", "0.044"), ("0.66", "1.98", "0.022")),
        *_windowed(WEEKDAYS_ONLY, ("1.32", "3.96", "0.044"), ("0.66", "1.98", "0.022")),
    ],
    "deepseek/deepseek-v4-flash": [
        (EVER, "0.14", "0.28", "0.0028", "", None, SOURCE[EVER]),
        *_windowed(DAILY, ("0.44", "1.32", "0.014"), ("0.22", "0.66", "0.007")),
        *_windowed(WEEKDAYS_ONLY, ("0.44", "1.32", "0.014"), ("0.22", "0.66", "0.007")),
        *_windowed(V41_FLASH, ("0.3", "1.2", "0.006"), ("0.15", "0.6", "0.003")),
    ],
    "deepseek/deepseek-flash": _windowed(EVER, ("0.3", "1.2", "0.006"), ("0.15", "0.6", "0.003"),
                                         source=SOURCE[V41_FLASH]),
}

versions = sa.table(
    "price_versions", sa.column("id", sa.BigInteger()), sa.column("model_id", sa.String()),
    sa.column("effective_from", UtcDateTime(timezone=True)), sa.column("effective_to", UtcDateTime(timezone=True)),
    sa.column("input_price_per_mtok", Money()), sa.column("output_price_per_mtok", Money()),
    sa.column("cached_input_price_per_mtok", Money()), sa.column("source", sa.String()),
    sa.column("checked_at", sa.Date()), sa.column("price_window", sa.String()),
    sa.column("window_schedule", sa.String()))
ledger = sa.table("ledger", sa.column("id", sa.BigInteger()), sa.column("price_version_id", sa.BigInteger()))
state = sa.table("catalog_state", sa.column("id", sa.Integer()), sa.column("version", sa.BigInteger()),
                 sa.column("changed_at", UtcDateTime(timezone=True)))


def _rebuilt(change) -> None:
    """Alter price_versions. SQLite rebuilds it (copy, drop, rename), which its foreign-key checks,
    on inside this transaction, refuse while ledger rows point at it: those are set aside and put back."""
    connection = op.get_bind()
    held = []
    if connection.dialect.name == "sqlite":
        held = [{"row": row, "version": version} for row, version in connection.execute(
            sa.select(ledger.c.id, ledger.c.price_version_id).where(ledger.c.price_version_id.is_not(None)))]
        connection.execute(sa.update(ledger).where(ledger.c.price_version_id.is_not(None))
                           .values(price_version_id=None))
    with op.batch_alter_table("price_versions") as batch:
        change(batch)
    if held:
        connection.execute(sa.update(ledger).where(ledger.c.id == sa.bindparam("row"))
                           .values(price_version_id=sa.bindparam("version")), held)


def _windows(batch) -> None:
    batch.add_column(sa.Column("price_window", sa.String(16), nullable=False, server_default=""))
    batch.add_column(sa.Column("window_schedule", sa.String(512), nullable=True))
    batch.drop_constraint("uq_price_versions_model_id_effective_from", type_="unique")
    batch.create_unique_constraint("uq_price_versions_model_id_effective_from_price_window",
                                   ["model_id", "effective_from", "price_window"])


def _no_windows(batch) -> None:
    batch.drop_constraint("uq_price_versions_model_id_effective_from_price_window", type_="unique")
    batch.create_unique_constraint("uq_price_versions_model_id_effective_from", ["model_id", "effective_from"])
    batch.drop_column("window_schedule")
    batch.drop_column("price_window")


def upgrade() -> None:
    _rebuilt(_windows)
    connection = op.get_bind()
    corrected = [model_id for model_id, rows in CORRECTED.items() if _correct(connection, model_id, rows)]
    if corrected:   # every worker reloads the catalog
        connection.execute(sa.update(state).where(state.c.id == 1).values(
            version=state.c.version + 1, changed_at=datetime.now(UTC)))


def _correct(connection, model_id: str, rows: list[tuple]) -> bool:
    """Replace the single peak-rate version since 1970 by the corrected history; False if not there."""
    stored = connection.execute(sa.select(versions.c.id, versions.c.effective_from, versions.c.source)
                                .where(versions.c.model_id == model_id)).all()
    if len(stored) != 1 or not stored[0].source.endswith("(peak rate)"):
        return False   # not seeded yet (the files seed it corrected), or already corrected
    starts = sorted({row[0] for row in rows})
    ends = dict(zip(starts, [*starts[1:], None]))
    first, *rest = rows
    connection.execute(sa.update(versions).where(versions.c.id == stored[0].id).values(
        **_values(model_id, first, ends)))
    connection.execute(sa.insert(versions), [_values(model_id, row, ends) for row in rest])
    return True


def _values(model_id: str, row: tuple, ends: dict) -> dict:
    start, price_in, price_out, cached, window, schedule, source = row
    return {"model_id": model_id, "effective_from": start, "effective_to": ends[start],
            "input_price_per_mtok": Decimal(price_in), "output_price_per_mtok": Decimal(price_out),
            "cached_input_price_per_mtok": Decimal(cached), "source": source, "checked_at": CHECKED,
            "price_window": window, "window_schedule": schedule}


def downgrade() -> None:
    # One version per start again: the scheduled windows stay, the rest-of-the-week ones go.
    connection = op.get_bind()
    rest = sa.select(versions.c.id).where(versions.c.price_window != "", versions.c.window_schedule.is_(None))
    connection.execute(sa.update(ledger).where(ledger.c.price_version_id.in_(rest)).values(price_version_id=None))
    connection.execute(sa.delete(versions).where(versions.c.id.in_(rest)))
    _rebuilt(_no_windows)
