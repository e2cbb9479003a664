"""price_history.csv against genai-prices' own calc_price, at every date: past, today, announced.

Unlike the models.csv parity test (at each row's prices_checked), this one checks the versions in
force today and at every dated change genai-prices knows, so that it stays green as the calendar
moves only because the file already holds every dated change.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from genai_prices.types import StartDateConstraint

from app.store.catalog_files import read_catalog
from app.store.price_versions import price_in_force
from tests.catalog.test_catalog_data import EXCEPTIONS, PRICED_AT, _expected, _resolve

REPO = Path(__file__).resolve().parents[2]
FIXED_DAYS = [date(2026, 8, 1), date(2026, 12, 1), date(2027, 1, 1)]   # a past date and the two announced changes


@pytest.fixture(scope="module")
def catalog():
    models, versions = read_catalog(REPO / "models.csv", REPO / "price_history.csv")
    by_model: dict[str, list] = {}
    for version in versions:
        by_model.setdefault(version.model_id, []).append(version)
    return models, by_model


def _days(model) -> list[date]:
    """Today, the fixed days, and each day genai-prices starts a price for this model and the day before."""
    _, info = _resolve(model)
    starts = [c.constraint.start_date for c in (info.prices if isinstance(info.prices, list) else [])
              if isinstance(c.constraint, StartDateConstraint)]
    return sorted({datetime.now(UTC).date(), *FIXED_DAYS, *starts, *(day - timedelta(days=1) for day in starts)})


def _moment(model, day: date) -> datetime:
    # Time-of-day prices are checked at their peak instant, the rate the catalog holds.
    at = PRICED_AT[model.id].timetz() if model.id in PRICED_AT else time(12, tzinfo=UTC)
    return datetime.combine(day, at)


def test_versions_match_genai_prices_at_every_date(catalog):
    models, by_model = catalog
    problems, checked, compared = [], 0, 0
    for model in models:
        if model.id in EXCEPTIONS and model.id not in PRICED_AT:
            continue   # not listed by genai-prices (local Ollama models): one version from models.csv
        if model.id in PRICED_AT:
            continue   # priced by time of day: compared hour by hour in test_price_windows_parity.py
        compared += 1
        for day in _days(model):
            when = _moment(model, day)
            version = price_in_force(by_model[model.id], when)
            want = _expected(model, when)
            got = {"input": version.prices.input, "output": version.prices.output,
                   "cached": version.prices.cached_input, "threshold": version.prices.long_context_threshold,
                   "long_input": version.prices.long_input, "long_output": version.prices.long_output}
            checked += 1
            for field, value in want.items():
                if (value is None) != (got[field] is None) or (value is not None and Decimal(value) != got[field]):
                    problems.append(f"{model.id} at {when:%Y-%m-%d %H:%M}Z: {field} is {got[field]} "
                                    f"(version from {version.effective_from:%Y-%m-%d}), genai-prices says {value}")
    assert not problems, "\n".join(problems)
    assert compared > 60 and checked >= 3 * compared


def test_the_announced_changes_are_there(catalog):
    _, by_model = catalog
    argon = by_model["google/gemini-4-argon"]
    assert price_in_force(argon, date(2026, 11, 30)).prices.input == Decimal("2")
    assert price_in_force(argon, date(2026, 12, 1)).prices.input == Decimal("4")
    flash = by_model["google/gemini-3.8-flash"]
    assert price_in_force(flash, datetime(2026, 12, 31, 23, 59, tzinfo=UTC)).prices.output == Decimal("3.75")
    assert price_in_force(flash, date(2027, 1, 1)).prices.output == Decimal("7.5")
