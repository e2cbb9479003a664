"""DeepSeek's windowed prices against genai-prices' own calc_price, hour by hour.

On weekdays genai-prices and the catalog agree at every hour: genai-prices models DeepSeek's
daily windows (a time-of-day constraint), the catalog its UTC weekday windows. On weekends they
differ on purpose: DeepSeek bills the whole weekend off-peak (its pricing page, "Peak hours are
01:00 - 04:00 and 06:00 - 10:00 UTC, Monday through Friday"), while genai-prices' constraints have
no weekday and charge the peak rate inside the windows every day, an upper bound it documents
(genai-prices issue #582). There the catalog must equal DeepSeek's off-peak rate: half the peak.

The sampled weeks start after the last dated DeepSeek change genai-prices knows (2026-09-10):
before it, genai-prices' windows carry no date and price V4.1 Flash's peak on V4 Flash, and
peak hours on days before DeepSeek had windows (2026-08-17).
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from genai_prices import Usage, calc_price

from app.catalog.snapshot import group_versions, price_models
from app.forecast.outlook import BUCKETS, Forecast, Outlook
from app.pricing.ranking import AUTO, RankingTable, rank
from app.tokens.counter import TokenCount
from app.pricing.cost import exact_cost
from app.store.catalog_files import read_catalog
from tests.catalog.test_catalog_data import REPO

WINDOWED = ("deepseek/deepseek-v4-pro", "deepseek/deepseek-v4-flash", "deepseek/deepseek-flash")
WEEKS = [datetime(2026, 9, 14, tzinfo=UTC), datetime(2026, 12, 7, tzinfo=UTC), datetime(2027, 3, 1, tzinfo=UTC)]
USAGE = {"input_tokens": 12_345, "cache_read_tokens": 2_000, "output_tokens": 6_789}


@pytest.fixture(scope="module")
def catalog():
    models, versions = read_catalog(REPO / "models.csv", REPO / "price_history.csv")
    return [m for m in models if m.id in WINDOWED], group_versions(versions)


def hours():
    for monday in WEEKS:
        for hour in range(7 * 24):
            yield monday + timedelta(hours=hour)


def ours(catalog, model_id: str, moment: datetime):
    models, versions = catalog
    priced, _ = price_models(models, versions, moment)
    model = next(m for m in priced if m.id == model_id)
    return model, exact_cost(model, USAGE["input_tokens"], USAGE["output_tokens"], USAGE["cache_read_tokens"])


def genai(model, moment: datetime) -> Decimal:
    return calc_price(Usage(**USAGE), model_ref=model.api_model, provider_id="deepseek",
                      genai_request_timestamp=moment).total_price


@pytest.mark.parametrize("model_id", WINDOWED)
def test_every_weekday_hour_costs_what_genai_prices_says(catalog, model_id):
    checked = 0
    for moment in (m for m in hours() if m.weekday() < 5):
        model, cost = ours(catalog, model_id, moment)
        assert cost == Fraction(genai(model, moment)), f"{model_id} at {moment:%a %Y-%m-%d %H:%M}Z"
        checked += 1
    assert checked == 3 * 5 * 24


@pytest.mark.parametrize("model_id", WINDOWED)
def test_every_weekend_hour_costs_deepseeks_off_peak_rate(catalog, model_id):
    weekday_off_peak = ours(catalog, model_id, datetime(2026, 12, 7, 12, tzinfo=UTC))[1]
    weekday_peak = ours(catalog, model_id, datetime(2026, 12, 7, 2, tzinfo=UTC))[1]
    assert weekday_peak == 2 * weekday_off_peak   # DeepSeek: "off-peak ... half the price"
    upper_bound = 0
    for moment in (m for m in hours() if m.weekday() >= 5):
        model, cost = ours(catalog, model_id, moment)
        assert model.price_window == "off_peak" and cost == weekday_off_peak, f"{model_id} at {moment}"
        # genai-prices' documented upper bound (issue #582): peak inside the windows on weekends too
        upper_bound += Fraction(genai(model, moment)) > cost
    assert upper_bound == 3 * 2 * 7   # three weekends, two days, seven peak hours a day


def test_output_cost_range_takes_the_window_in_force(catalog):
    models, versions = catalog
    empty = Forecast(None, None, None, 0)
    outlook = Outlook({"deepseek/deepseek-v4-pro": (Forecast(300, 200, 450, 12), *[empty] * (BUCKETS - 1))}, {}, 5)
    counts = {"o200k_base": TokenCount(100, "o200k_base", True), "deepseek": TokenCount(100, "deepseek", False)}

    def cost_range(moment):
        priced, _ = price_models(models, versions, moment)
        item = rank(RankingTable(priced), counts, expected_output_tokens=AUTO, outlook=outlook,
                    model_ids={"deepseek/deepseek-v4-pro"}).items[0]
        return item["price_window"], item["output_cost_range"]
    def usd(tokens, per_mtok):   # the nearest float to the exact cost, as the ranking gives it
        return float(Decimal(tokens) * Decimal(per_mtok) / 1_000_000)
    assert cost_range(datetime(2026, 12, 7, 2, tzinfo=UTC)) == ("peak", {"low": usd(200, "3.96"), "high": usd(450, "3.96")})
    assert cost_range(datetime(2026, 12, 5, 2, tzinfo=UTC)) == (
        "off_peak", {"low": usd(200, "1.98"), "high": usd(450, "1.98")})
