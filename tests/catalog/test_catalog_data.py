"""Data tests for models.csv: prices against genai-prices, coverage, MMLU provenance, tokenizers.

The price parity test uses genai-prices' own lookup and calc logic on its bundled snapshot (no network,
no ``update_prices``). Every catalog model either resolves there and matches exactly, or is listed in
EXCEPTIONS with the reason and where its price comes from.
"""
from __future__ import annotations

import csv
import os
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path

import pytest
from genai_prices import Usage, calc_price
from genai_prices.data_snapshot import get_snapshot
from genai_prices.types import ModelInfo, TieredPrices, TimeOfDateConstraint

from app.catalog import load_catalog, load_models
from app.vendors import VENDORS

REPO = Path(__file__).resolve().parents[2]
CATALOG = REPO / "models.csv"
# shared/ beside the repository; SHARED_DATA names its data folder where it lies elsewhere (a worktree).
MMLU_CSV = Path(os.environ.get("SHARED_DATA") or REPO.parent / "shared" / "data") / "mmlu.csv"
MTOK = 1_000_000

# Our vendor key -> genai-prices provider id (the rest are the same string).
# genai-prices' "azure" provider falls back to the openai/anthropic/... price lists by itself.
GENAI_PROVIDER = {"bedrock": "aws", "xai": "x-ai"}

# Catalog id -> genai-prices model ref, for rows whose api_model is not what genai-prices matches.
# Empty today: every api_model in the catalog resolves as sent (Bedrock "us."/"global." profile ids
# match genai-prices' `contains` rules; Azure deployment names match via the openai fallback).
GENAI_REF: dict[str, str] = {}

PEAK = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # a Friday, inside DeepSeek's 01:00-04:00 UTC peak window

# Models genai-prices does not know, and deliberate differences from its current price.
EXCEPTIONS: dict[str, str] = {
    "deepseek/deepseek-v4-pro": (
        "Time-of-day pricing: peak (UTC 01:00-04:00 and 06:00-10:00 weekdays) $1.32/$3.96, cached $0.044; "
        "off-peak $0.66/$1.98, cached $0.022. The CSV holds the peak rate (never understates cost); checked "
        "against genai-prices at a peak timestamp (PRICED_AT)."),
    "deepseek/deepseek-v4-flash": (
        "Time-of-day pricing (routed to V4.1 Flash since 2026-09-10): peak $0.30/$1.20, cached $0.006; "
        "off-peak $0.15/$0.60, cached $0.003. CSV holds the peak rate; checked at a peak timestamp."),
    "deepseek/deepseek-flash": (
        "Time-of-day pricing (DeepSeek V4.1 Flash): peak $0.30/$1.20, cached $0.006; off-peak "
        "$0.15/$0.60, cached $0.003. CSV holds the peak rate; checked at a peak timestamp."),
    "ollama/gpt-oss-20b": "Local model run by Ollama: no API price, 0/0; source https://ollama.com/library/gpt-oss",
    "ollama/gpt-oss-120b": "Local model run by Ollama: no API price, 0/0; source https://ollama.com/library/gpt-oss",
    "ollama/llama3.3-70b": "Local model run by Ollama: no API price, 0/0; source https://ollama.com/library/llama3.3",
    "ollama/llama3.1-8b": "Local model run by Ollama: no API price, 0/0; source https://ollama.com/library/llama3.1",
    "ollama/qwen3-8b": "Local model run by Ollama: no API price, 0/0; source https://ollama.com/library/qwen3",
    "ollama/gemma3-27b": "Local model run by Ollama: no API price, 0/0; source https://ollama.com/library/gemma3",
    "ollama/mistral-small3.2-24b": (
        "Local model run by Ollama: no API price, 0/0; source https://ollama.com/library/mistral-small3.2"),
}

# Exceptions that genai-prices can still check, at a fixed instant instead of now (time-of-day prices).
PRICED_AT: dict[str, datetime] = {
    "deepseek/deepseek-v4-pro": PEAK,
    "deepseek/deepseek-v4-flash": PEAK,
    "deepseek/deepseek-flash": PEAK,
}

# Catalog model_name -> mmlu.csv `model` row: only where the catalog model is that very model.
MMLU_ROWS: dict[str, str] = {
    "claude-haiku-4-5": "claude-haiku-4-5-20251001",          # api_model claude-haiku-4-5-20251001 (no scores yet)
    "llama-3.3-70b": "llama-3.3-70b-instruct",                # Groq, Together, Bedrock, OpenRouter-free, Ollama
    "llama-3.1-8b": "llama-3.1-8b-instruct",                  # Groq llama-3.1-8b-instant, Ollama llama3.1:8b
    "llama-4-scout": "llama-4-scout-17b-16e",                 # Groq meta-llama/llama-4-scout-17b-16e-instruct
    "llama-4-maverick": "llama-4-maverick-17b-128e",          # Together Llama-4-Maverick-17B-128E-Instruct-FP8
    "nova-pro": "amazon.nova-pro-v1",                         # Bedrock amazon.nova-pro-v1:0
    "mistral-small-3.2": "mistral-small-2506 (3.2 instruct)",  # Ollama mistral-small3.2:24b
}

ALLOWED_TOKENIZERS = {
    "o200k_base", "cl100k_base", "claude", "gemini", "gemma", "llama", "mistral", "deepseek", "qwen",
    "grok", "nova", "kimi", "glm", "phi", "minimax", "nemotron",
}


@pytest.fixture(scope="module")
def models():
    return load_models(CATALOG, VENDORS.keys())


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _resolve(model) -> tuple[object, ModelInfo]:
    """The genai-prices provider and model a catalog row resolves to; LookupError if unknown."""
    ref = GENAI_REF.get(model.id, model.api_model)
    return get_snapshot().find_provider_model(ref, None, GENAI_PROVIDER.get(model.provider, model.provider), None)


def _has_time_of_day_price(info: ModelInfo) -> bool:
    return isinstance(info.prices, list) and any(
        isinstance(p.constraint, TimeOfDateConstraint) for p in info.prices)


def _expected(model, when: datetime) -> dict[str, Decimal | int | None]:
    """Per-MTok prices genai-prices charges for this model at `when`, via its own calc_price."""
    ref = GENAI_REF.get(model.id, model.api_model)
    provider = GENAI_PROVIDER.get(model.provider, model.provider)

    def calc(**usage):
        return calc_price(Usage(**usage), model_ref=ref, provider_id=provider, genai_request_timestamp=when)

    prices = calc(input_tokens=1).model_price
    tiered = isinstance(prices.input_mtok, TieredPrices) or isinstance(prices.output_mtok, TieredPrices)
    starts = {t.start for p in (prices.input_mtok, prices.output_mtok, prices.cache_read_mtok)
              if isinstance(p, TieredPrices) for t in p.tiers}
    # below any tier: a prompt of at most the threshold bills every token at the base rate
    base_tokens = min(MTOK, min(starts)) if starts else MTOK
    expected = {
        "input": calc(input_tokens=base_tokens).input_price * MTOK / base_tokens,
        "output": calc(output_tokens=MTOK).output_price,
        "cached": None, "threshold": None, "long_input": None, "long_output": None,
    }
    if prices.cache_read_mtok is not None:
        # all input tokens read from cache: the input side is billed at the cache-read rate only
        expected["cached"] = (calc(input_tokens=base_tokens, cache_read_tokens=base_tokens).input_price
                              * MTOK / base_tokens)
    if tiered:
        tiers = [p.tiers for p in (prices.input_mtok, prices.output_mtok) if isinstance(p, TieredPrices)]
        assert len(starts) == 1 and all(len(t) == 1 for t in tiers), (
            f"{model.id}: genai-prices has several tiers, which the CSV cannot express: list it in EXCEPTIONS")
        threshold = starts.pop()
        above = threshold + 1
        expected["threshold"] = threshold
        expected["long_input"] = calc(input_tokens=above).input_price * MTOK / above
        expected["long_output"] = calc(input_tokens=above, output_tokens=MTOK).output_price
    return expected


def _actual(model) -> dict[str, Decimal | int | None]:
    return {
        "input": _dec(model.input_price_per_mtok), "output": _dec(model.output_price_per_mtok),
        "cached": _dec(model.cached_input_price_per_mtok), "threshold": model.long_context_threshold,
        "long_input": _dec(model.long_input_price_per_mtok), "long_output": _dec(model.long_output_price_per_mtok),
    }


def _checked_at(model) -> datetime:
    # Prices are compared as of the day the row says they were checked, so the test does not
    # turn red on the day a vendor changes a price; keeping rows fresh is a catalog chore.
    return datetime.combine(date.fromisoformat(model.prices_checked), time(12), tzinfo=UTC)


def test_prices_match_genai_prices(models):
    problems = []
    for model in models:
        checked_at = PRICED_AT.get(model.id)
        if model.id in EXCEPTIONS and checked_at is None:
            continue
        try:
            _, info = _resolve(model)
        except LookupError:
            problems.append(f"{model.id}: genai-prices does not know {model.api_model!r} and it is not in EXCEPTIONS")
            continue
        if _has_time_of_day_price(info) and checked_at is None:
            problems.append(f"{model.id}: genai-prices prices it by time of day; list it in EXCEPTIONS and PRICED_AT")
            continue
        expected, actual = _expected(model, checked_at or _checked_at(model)), _actual(model)
        for field, want in expected.items():
            got = actual[field]
            if (want is None) != (got is None) or (want is not None and Decimal(want) != Decimal(got)):
                problems.append(f"{model.id}: {field} is {got}, genai-prices says {want}")
    assert not problems, "\n".join(problems)


def test_exceptions_name_catalog_models(models):
    ids = {m.id for m in models}
    stale = sorted((set(EXCEPTIONS) | set(PRICED_AT) | set(GENAI_REF)) - ids)
    assert not stale, f"exception entries for models not in the catalog: {stale}"
    assert set(PRICED_AT) <= set(EXCEPTIONS)
    assert all(reason.strip() for reason in EXCEPTIONS.values())


def test_ollama_models_are_free_and_cite_the_library(models):
    for model in (m for m in models if m.provider == "ollama"):
        assert model.id in EXCEPTIONS
        assert model.input_price_per_mtok == 0 and model.output_price_per_mtok == 0, model.id
        assert model.cached_input_price_per_mtok is None and not model.has_long_context_tier, model.id
        assert model.source.startswith("https://ollama.com/library/"), model.id


def test_catalog_covers_every_provider_with_one_default(models):
    assert len(models) >= 60
    providers = {m.provider for m in models}
    assert providers == set(VENDORS), f"providers without models: {sorted(set(VENDORS) - providers)}"
    for key in VENDORS:
        defaults = [m.id for m in models if m.provider == key and m.default]
        assert len(defaults) == 1, f"{key}: defaults {defaults}"


def test_ids_name_provider_and_model(models):
    assert len({m.id for m in models}) == len(models)
    for model in models:
        assert model.id.startswith(model.provider + "/"), model.id
        assert model.context_window > 0 and 0 < model.max_output_tokens <= max(model.context_window, 1_048_576)
        assert model.source.startswith("https://"), model.id
        assert model.prices_checked in {"2026-11-27", "2026-12-08"}, model.id   # 12-08: rows from genai-prices 0.2.5


def _mmlu_rows() -> dict[str, dict[str, str]]:
    if not MMLU_CSV.is_file():
        pytest.skip(f"shared MMLU data not found at {MMLU_CSV} (expected shared/ beside the repository)")
    with open(MMLU_CSV, newline="", encoding="utf-8") as handle:
        return {row["model"]: row for row in csv.DictReader(handle)}


def test_mmlu_scores_come_from_shared_data(models):
    # models.csv's own columns hold only mmlu.csv's values, each through an explicit mapping
    rows = _mmlu_rows()
    assert set(MMLU_ROWS.values()) <= set(rows), sorted(set(MMLU_ROWS.values()) - set(rows))
    for model in models:
        row_name = MMLU_ROWS.get(model.model_name)
        for column, value in (("mmlu", model.mmlu_score), ("mmlu_pro", model.mmlu_pro_score)):
            if row_name is None:
                assert value is None, f"{model.id}: {column} score without an MMLU_ROWS mapping"
                continue
            cell = rows[row_name][column].strip()
            want = float(cell) if cell else None
            assert value == want, f"{model.id}: {column} {value} but mmlu.csv row {row_name!r} has {want}"


def test_served_mmlu_score_is_mmlu_csv_else_quality_csv():
    # The served mmlu_score: mmlu.csv's where it has a score for the row, else quality.csv's mmlu.
    rows = _mmlu_rows()
    served = load_catalog(CATALOG, CATALOG.with_name("quality.csv"))
    for model in served:
        row_name = MMLU_ROWS.get(model.model_name)
        cell = rows[row_name]["mmlu"].strip() if row_name else ""
        published = model.quality.get("mmlu")
        want = float(cell) if cell else (published.score if published else None)
        assert model.mmlu_score == want, model.id
    by_id = {model.id: model for model in served}
    assert by_id["groq/gpt-oss-120b"].mmlu_score == 90.0 and by_id["ollama/gpt-oss-20b"].mmlu_score == 85.3


def test_tokenizers(models):
    for model in models:
        assert model.tokenizer in ALLOWED_TOKENIZERS, f"{model.id}: {model.tokenizer}"
        openai_family = model.model_name.startswith(("gpt-", "o1", "o3", "o4", "chatgpt"))
        if openai_family:
            assert model.tokenizer in {"o200k_base", "cl100k_base"}, model.id
        if model.tokenizer in {"o200k_base", "cl100k_base"}:
            assert openai_family, f"{model.id}: OpenAI tokenizer on a non-OpenAI model"
