"""Benchmark ranking the whole catalog against a loop of genai_prices.calc_price over the same models.

Run from the repo root:  python bench/bench_ranking.py [--csv models.csv] [--repeat 5]
Prints microseconds per ranking, per calc_price loop, and the speed-up ratio (target >= 100x).
"""
from __future__ import annotations

import argparse
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from genai_prices import Usage, calc_price  # noqa: E402

from app.catalog.csv_loader import load_models  # noqa: E402
from app.pricing.ranking import RankingTable, rank  # noqa: E402
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

    ranked = {item["id"]: item["total_cost"] for item in ours().items}
    expected = dict(zip((model.id for model in models), baseline()))
    assert ranked == expected, "ranking costs differ from genai_prices.calc_price"

    base_us = _best_us(baseline, 20, args.repeat)
    ours_us = _best_us(ours, 2000, args.repeat)
    print(f"models ranked: {len(models)} (catalog models genai-prices knows at the CSV's price)")
    print(f"calc_price loop: {base_us:10.1f} us")
    print(f"rank():          {ours_us:10.1f} us")
    print(f"speed-up:        {base_us / ours_us:10.1f}x  (costs identical to calc_price: yes)")
    return 0


def _best_us(func, number: int, repeat: int) -> float:
    return min(timeit.repeat(func, number=number, repeat=repeat)) / number * 1e6


if __name__ == "__main__":
    sys.exit(main())
