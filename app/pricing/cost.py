"""What one request costs on one model, from the catalog's per-million-token list prices.

Arithmetic is exact: each model's prices become integers over one common denominator, token
counts multiply those integers, and a single int/int division (correctly rounded by Python)
gives each USD figure. The result is the float nearest the exact decimal cost, which is also
what float(genai_prices.calc_price(...).total_price) gives, so the two agree bit for bit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from app.catalog.model import Model

PER = 1_000_000   # catalog prices are per million tokens


@dataclass(frozen=True, slots=True)
class Cost:
    input_cost: float    # USD, uncached and cached input together
    output_cost: float
    total_cost: float    # the exact sum, rounded once (may differ from input+output in the last bit)
    long_context: bool   # the long-context tier prices applied


@dataclass(frozen=True, slots=True)
class PriceTable:
    """One model's prices as integers: USD per token = price / denominator."""

    denominator: int
    base: tuple[int, int, int]          # (input, cached input, output)
    long: tuple[int, int, int] | None   # the tier's prices, if the model has a tier
    threshold: int | None               # input tokens strictly above this use `long`

    def units(self, input_tokens: int, output_tokens: int, cached_tokens: int = 0) -> tuple[int, int, bool]:
        """Return (input_units, output_units, long_context); USD = units / denominator."""
        # The tier is chosen by all input tokens, cached ones included, as genai-prices does.
        long_context = self.threshold is not None and input_tokens > self.threshold
        price_in, price_cached, price_out = self.long if long_context else self.base
        input_units = (input_tokens - cached_tokens) * price_in + cached_tokens * price_cached
        return input_units, output_tokens * price_out, long_context

    def amounts(self, input_tokens: int, output_tokens: int, cached_tokens: int = 0
                ) -> tuple[float, float, float, bool]:
        """Return (input_cost, output_cost, total_cost, long_context) in USD for one request."""
        input_units, output_units, long_context = self.units(input_tokens, output_tokens, cached_tokens)
        den = self.denominator
        return input_units / den, output_units / den, (input_units + output_units) / den, long_context


def _exact(price: float) -> Fraction:
    # repr gives the shortest decimal that round-trips: the literal written in models.csv,
    # not the binary approximation float stores.
    return Fraction(repr(price))


@lru_cache(maxsize=4096)
def price_table(model: Model) -> PriceTable:
    """Turn a model's list prices into a PriceTable (cached per model)."""
    price_in = _exact(model.input_price_per_mtok)
    price_cached = price_in if model.cached_input_price_per_mtok is None else _exact(model.cached_input_price_per_mtok)
    prices = [price_in, price_cached, _exact(model.output_price_per_mtok)]
    if model.long_context_threshold is not None:
        prices += _long_prices(model, price_in, price_cached)
    scale = math.lcm(*(price.denominator for price in prices))
    units = [int(price * scale) for price in prices]
    return PriceTable(denominator=scale * PER, base=tuple(units[:3]),
                      long=tuple(units[3:]) if len(units) == 6 else None,
                      threshold=model.long_context_threshold)


def _long_prices(model: Model, price_in: Fraction, price_cached: Fraction) -> list[Fraction]:
    long_in = _exact(model.long_input_price_per_mtok)
    # The catalog has no long-context cached price. Vendors scale it with the input price
    # (0.1 -> 0.2 when input goes 2 -> 4, as genai-prices records), so we do the same;
    # without a cached price, cached tokens pay the long input price like any other input.
    if model.cached_input_price_per_mtok is None or price_in == 0:
        long_cached = long_in if model.cached_input_price_per_mtok is None else price_cached
    else:
        long_cached = price_cached * long_in / price_in
    return [long_in, long_cached, _exact(model.long_output_price_per_mtok)]


def price_request(model: Model, input_tokens: int, output_tokens: int, cached_tokens: int = 0) -> Cost:
    """Price one request: input (cached part at the cached price), output, long-context tier."""
    if min(input_tokens, output_tokens, cached_tokens) < 0:
        raise ValueError("token counts must not be negative")
    if cached_tokens > input_tokens:
        raise ValueError(f"cached_tokens ({cached_tokens}) cannot exceed input_tokens ({input_tokens})")
    return Cost(*price_table(model).amounts(input_tokens, output_tokens, cached_tokens))


def exact_cost(model: Model, input_tokens: int, output_tokens: int, cached_tokens: int = 0) -> Fraction:
    """The same cost as price_request, as an exact fraction of a USD (ledger and budgets)."""
    if min(input_tokens, output_tokens, cached_tokens) < 0 or cached_tokens > input_tokens:
        raise ValueError("token counts must not be negative, nor cached tokens exceed input tokens")
    table = price_table(model)
    input_units, output_units, _ = table.units(input_tokens, output_tokens, cached_tokens)
    return Fraction(input_units + output_units, table.denominator)
