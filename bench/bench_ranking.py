"""Benchmark ranking the whole catalog against a loop of genai_prices.calc_price over the same models.

Run from the repo root:  python bench/bench_ranking.py [--csv models.csv] [--repeat 5]
Prints microseconds per ranking, per calc_price loop, and the speed-up ratio (target >= 100x);
then a ranking with expected_output_tokens "auto", every model predicted from history (the
same output tokens, so the costs match the given ranking), and its ratio to the given one.
"""
from __future__ import annotations

import argparse
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from genai_prices import Usage, calc_price  # noqa: E402

from app.catalog.csv_loader import load_models  # noqa: E402
from app.forecast.outlook import BUCKETS, Forecast, Outlook, bucket  # noqa: E402
from app.pricing.ranking import AUTO, RankingTable, rank  # noqa: E402
from app.vendors import VENDORS  # noqa: E402
from app.tokens.counter import TokenCount  # noqa: E402

GENAI_PROVIDER_IDS = {"bedrock": "aws", "xai": "x-ai"}   # catalog key -> genai-prices provider id
INPUT_TOKENS = {"o200k_base": 3000, "cl100k_base": 3100}  # families get their own count below
OUTPUT_TOKENS = 500


def genai_known(models):
    """Keep the models genai-prices can price with the catalog's base input price."""
    known = []
    for model in models:
        provider = GENAI_PROVIDER_IDS.get(model.provider, model.provider)
        try:
            result = calc_price(Usage(input_tokens=1, output_tokens=0), model.api_model, provider_id=provider)
        except LookupError:
            continue
        base = result.model_price.input_mtok
        if float(getattr(base, "base", base)) == model.input_price_per_mtok:
            known.append((model, provider))
    return known


def main() -> int:
    """Time both paths on the same models and token counts; check they agree exactly."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", default="models.csv")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    known = genai_known(load_models(args.csv, VENDORS))
    models = [model for model, _ in known]
    table = RankingTable(models, {key: vendor.name for key, vendor in VENDORS.items()})
    counts = {name: TokenCount(INPUT_TOKENS.get(name, 3300), name, name in INPUT_TOKENS)
              for name in table.tokenizers}
    jobs = [(model.api_model, provider, counts[model.tokenizer].count) for model, provider in known]

    def baseline():
        return [float(calc_price(Usage(input_tokens=tokens, output_tokens=OUTPUT_TOKENS), ref,
                                 provider_id=provider).total_price)
                for ref, provider, tokens in jobs]

    def ours():
        return rank(table, counts, expected_output_tokens=OUTPUT_TOKENS)

    outlook = _outlook(models, counts)

    def auto():
        return rank(table, counts, expected_output_tokens=AUTO, outlook=outlook)

    ranked = {item["id"]: item["total_cost"] for item in ours().items}
    expected = dict(zip((model.id for model in models), baseline()))
    assert ranked == expected, "ranking costs differ from genai_prices.calc_price"
    assert {item["id"]: item["total_cost"] for item in auto().items} == expected, "auto ranking costs differ"

    base_us = _best_us(baseline, 20, args.repeat)
    ours_us = _best_us(ours, 2000, args.repeat)
    print(f"models ranked: {len(models)} (catalog models genai-prices knows at the CSV's price)")
    print(f"calc_price loop: {base_us:10.1f} us")
    print(f"rank():          {ours_us:10.1f} us")
    print(f"speed-up:        {base_us / ours_us:10.1f}x  (costs identical to calc_price: yes)")
    auto_us = _best_us(auto, 2000, args.repeat)
    print(f"rank(auto):      {auto_us:10.1f} us  ({auto_us / ours_us:.2f}x the given ranking; "
          f"{base_us / auto_us:.1f}x faster than calc_price)")
    return 0


def _outlook(models, counts) -> Outlook:
    """Every model predicted OUTPUT_TOKENS (p25-p75 around it) for prompts of the benchmark's length."""
    forecasts = {}
    for model in models:
        per_bucket = [Forecast(None, None, None, 0)] * BUCKETS
        per_bucket[bucket(counts[model.tokenizer].count)] = Forecast(OUTPUT_TOKENS, OUTPUT_TOKENS // 2,
                                                                     OUTPUT_TOKENS * 2, 50)
        forecasts[model.id] = tuple(per_bucket)
    return Outlook(forecasts)


def _best_us(func, number: int, repeat: int) -> float:
    return min(timeit.repeat(func, number=number, repeat=repeat)) / number * 1e6


if __name__ == "__main__":
    sys.exit(main())
