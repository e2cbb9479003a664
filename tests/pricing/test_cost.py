"""Cost maths: tier boundaries, cached tokens, exact parity with genai-prices over the catalog."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from genai_prices import Usage, calc_price

from app.catalog.csv_loader import load_models
from app.catalog.model import Model
from app.pricing.cost import Cost, price_request, price_table
from app.vendors import VENDORS

CATALOG = Path(__file__).resolve().parents[2] / "models.csv"
GENAI_PROVIDER_IDS = {"bedrock": "aws", "xai": "x-ai"}   # catalog key -> genai-prices provider id


def make_model(**overrides) -> Model:
    """Build a catalog row with plain prices; overrides replace any field."""
    fields = dict(id="openai/test", provider="openai", model_name="test", api_model="test", default=True,
                  input_price_per_mtok=2.0, output_price_per_mtok=10.0, cached_input_price_per_mtok=0.5,
                  long_context_threshold=None, long_input_price_per_mtok=None, long_output_price_per_mtok=None,
                  context_window=1_000_000, max_output_tokens=100_000, mmlu_score=80.0, mmlu_pro_score=None,
                  model_size="Unknown", tokenizer="o200k_base", prices_checked="2026-11-27",
                  source="https://example.com/pricing")
    return Model(**{**fields, **overrides})


TIERED = make_model(long_context_threshold=200_000, long_input_price_per_mtok=4.0, long_output_price_per_mtok=15.0)


def exact_usd(*terms: tuple[int, str]) -> float:
    """Return the float nearest sum(tokens * price) / 1e6, computed in Decimal."""
    return float(sum(Decimal(tokens) * Decimal(price) for tokens, price in terms) / 1_000_000)


def test_plain_request():
    cost = price_request(make_model(), 1_000, 500)
    assert cost == Cost(input_cost=0.002, output_cost=0.005, total_cost=0.007, long_context=False)


def test_zero_tokens_cost_nothing():
    assert price_request(TIERED, 0, 0) == Cost(0.0, 0.0, 0.0, False)


def test_cached_tokens_use_the_cached_price():
    cost = price_request(make_model(), 1_000, 0, cached_tokens=400)
    assert cost.input_cost == exact_usd((600, "2"), (400, "0.5"))


def test_cached_tokens_without_a_cached_price_pay_the_input_price():
    model = make_model(cached_input_price_per_mtok=None)
    assert price_request(model, 1_000, 0, cached_tokens=400) == price_request(model, 1_000, 0)


@pytest.mark.parametrize("input_tokens, long_context", [(199_999, False), (200_000, False), (200_001, True)])
def test_tier_applies_strictly_above_the_threshold(input_tokens, long_context):
    cost = price_request(TIERED, input_tokens, 1_000)
    prices = ("4", "15") if long_context else ("2", "10")
    assert cost.long_context is long_context
    assert cost.input_cost == exact_usd((input_tokens, prices[0]))
    assert cost.output_cost == exact_usd((1_000, prices[1]))
    assert cost.total_cost == exact_usd((input_tokens, prices[0]), (1_000, prices[1]))


def test_cached_tokens_count_toward_the_threshold_and_pay_the_scaled_tier_price():
    # Above the threshold the cached price scales with the input price (0.5 * 4/2 = 1.0).
    cost = price_request(TIERED, 200_001, 0, cached_tokens=150_000)
    assert cost.long_context
    assert cost.input_cost == exact_usd((50_001, "4"), (150_000, "1"))


def test_tier_without_a_cached_price_charges_cached_tokens_the_long_input_price():
    model = replace(TIERED, cached_input_price_per_mtok=None)
    assert price_request(model, 300_000, 0, cached_tokens=100_000).input_cost == exact_usd((300_000, "4"))


def test_zero_prices():
    free = make_model(input_price_per_mtok=0.0, output_price_per_mtok=0.0, cached_input_price_per_mtok=None)
    assert price_request(free, 10_000_000, 1_000_000, cached_tokens=5) == Cost(0.0, 0.0, 0.0, False)


def test_tier_with_zero_base_input_price_keeps_the_cached_price():
    model = replace(TIERED, input_price_per_mtok=0.0, cached_input_price_per_mtok=0.25)
    cost = price_request(model, 300_000, 0, cached_tokens=100_000)
    assert cost.input_cost == exact_usd((200_000, "4"), (100_000, "0.25"))


def test_prices_are_exact_decimals_not_binary_floats():
    # 0.1 and 0.2 are inexact in binary; the cost must be the float nearest the decimal answer.
    model = make_model(input_price_per_mtok=0.1, output_price_per_mtok=0.2, cached_input_price_per_mtok=None)
    assert price_request(model, 3, 3).total_cost == exact_usd((3, "0.1"), (3, "0.2"))


def test_price_table_is_integral():
    table = price_table(TIERED)
    assert all(isinstance(value, int) for value in (*table.base, *table.long, table.denominator))


@pytest.mark.parametrize("args", [(-1, 0, 0), (0, -1, 0), (10, 0, -1), (10, 0, 11)])
def test_rejects_impossible_token_counts(args):
    with pytest.raises(ValueError):
        price_request(make_model(), *args)


# -- parity with genai-prices over the real catalog ------------------------------------------

def _catalog() -> list[Model]:
    if not CATALOG.is_file():
        pytest.skip(f"{CATALOG} not present")
    return load_models(CATALOG, VENDORS)


def _genai(model: Model, input_tokens: int, output_tokens: int, cached: int):
    return calc_price(Usage(input_tokens=input_tokens, output_tokens=output_tokens, cache_read_tokens=cached),
                      model.api_model, provider_id=GENAI_PROVIDER_IDS.get(model.provider, model.provider))


def _points(model: Model) -> list[tuple[int, int, int]]:
    points = [(0, 0, 0), (1_234, 567, 0), (50_000, 2_000, 20_000), (3_000_000, 250_000, 1_000_000)]
    if model.long_context_threshold is not None:
        t = model.long_context_threshold
        points += [(t - 1, 1_000, 0), (t, 1_000, 0), (t + 1, 1_000, 0), (t + 1, 0, t // 2), (t - 1, 7, t // 3)]
    return points


def _base_input_price(result) -> Decimal | None:
    price = result.model_price.input_mtok
    return getattr(price, "base", price)


def test_costs_equal_genai_prices_exactly_for_catalog_models():
    checked, mismatches = [], []
    for model in _catalog():
        try:
            probe = _genai(model, 1, 0, 0)
        except LookupError:
            continue   # genai-prices does not know this model or provider (e.g. Ollama)
        if _base_input_price(probe) is None or float(_base_input_price(probe)) != model.input_price_per_mtok:
            continue   # a deliberate catalog difference, not ours to judge here
        checked.append(model.id)
        for point in _points(model):
            ours, theirs = price_request(model, *point), _genai(model, *point)
            got = (ours.input_cost, ours.output_cost, ours.total_cost)
            want = (float(theirs.input_price), float(theirs.output_price), float(theirs.total_price))
            if got != want:
                mismatches.append((model.id, point, got, want))
    assert not mismatches, mismatches[:5]
    assert len(checked) >= 40, f"only {len(checked)} catalog models were compared"
