"""Rank catalog models by what a prompt would cost on each, with filters; pure, no Flask."""
from __future__ import annotations

import math
from datetime import UTC, datetime
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from app.catalog.model import Model
from app.forecast.outlook import BUCKET_FLOOR, BUCKETS, Outlook
from app.pricing.benchmarks import default_benchmark, published_scores
from app.pricing.cost import price_table
from app.tokens.counter import TokenCount

SORTS = ("cost", "mmlu", "value", "quality")
AUTO = "auto"   # expected_output_tokens: predict each model's output from its billed calls
TOP_BUCKET = BUCKETS - 1


def iso_moment(moment: datetime | None) -> str | None:
    """An aware datetime as ISO-8601 in UTC with a Z (None stays None)."""
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
ITEM_KEYS = ("id", "model_name", "provider", "price_per_token", "estimated_tokens", "total_cost",
             "input_cost", "output_cost", "expected_output_tokens", "tokenizer", "token_count_exact",
             "long_context", "mmlu_score", "model_size", "configured", "price_effective_from",
             "output_basis", "output_cost_range", "self_hosted", "quality_score", "price_window",
             "price_changes_at")
NO_THRESHOLD = 1 << 62   # stands in for "no long-context tier" so the hot loop needs no None check


class _Row(NamedTuple):
    """The layout of one model's request-independent facts in RankingTable.rows."""

    model_id: str
    provider: str
    tokenizer: str
    context_window: int
    mmlu_score: float | None
    denominator: int                      # PriceTable: USD = units / denominator
    base: tuple[int, int, int]
    long: tuple[int, int, int] | None
    threshold: int
    self_hosted: bool
    template: dict                        # the item with its per-model fields filled in


class RankingTable:
    """Per-model constants computed once from the catalog (at start-up), reused by every ranking."""

    def __init__(self, models: Iterable[Model], provider_names: Mapping[str, str] | None = None):
        names = provider_names or {}
        # Rows in id order: every sort below is stable, so ties come out by id without comparing ids.
        self.models = tuple(sorted(models, key=lambda model: model.id))
        # Plain tuples, not _Row: CPython unpacks exact tuples on a fast path, subclasses via an iterator.
        self.rows = tuple(tuple(_row(model, names.get(model.provider, model.provider)))
                          for model in self.models)
        self.tokenizers = frozenset(model.tokenizer for model in self.models)
        # The benchmark behind quality_score, quality and value when a request names none.
        self.default_benchmark = default_benchmark(self.models)
        self.default_scores = published_scores(self.models, self.default_benchmark)


def _row(model: Model, provider_name: str) -> _Row:
    prices = price_table(model)
    template = dict.fromkeys(ITEM_KEYS)
    template.update(id=model.id, model_name=model.model_name, provider=provider_name,
                    price_per_token=model.price_per_token, mmlu_score=model.mmlu_score,
                    model_size=model.model_size, price_effective_from=iso_moment(model.price_effective_from),
                    self_hosted=model.self_hosted, price_window=model.price_window,
                    price_changes_at=iso_moment(model.price_changes_at))
    threshold = NO_THRESHOLD if prices.threshold is None else prices.threshold
    return _Row(model.id, model.provider, model.tokenizer, model.context_window, model.mmlu_score,
                prices.denominator, prices.base, prices.long, threshold, model.self_hosted, template)


@dataclass(frozen=True, slots=True)
class Ranking:
    items: list[dict]
    excluded_context_window: int   # models that passed the provider/id filters but cannot fit the request
    excluded_self_hosted: int = 0  # self-hosted models of unconfigured providers left out (exclude_self_hosted)


def rank(models: RankingTable | Iterable[Model], counts: Mapping[str, TokenCount], *,
         expected_output_tokens: int | str = 0, outlook: Outlook | None = None, sort: str = "cost",
         providers: Collection[str] | None = None, model_ids: Collection[str] | None = None,
         min_mmlu: float | None = None, max_total_cost: float | None = None,
         configured: Collection[str] | None = None, only_configured: bool = False,
         exclude_self_hosted: bool = False, limit: int | None = None,
         provider_names: Mapping[str, str] | None = None, o200k_key: str = "o200k_base",
         scores: Mapping[str, float] | None = None,
         min_quality: tuple[Mapping[str, float], float] | None = None,
         extra_input_tokens: Mapping[str, int] | None = None, fallback_output_tokens: int = 0) -> Ranking:
    """Price the prompt on every model that passes the filters and return them in `sort` order."""
    # Filters apply in this order: providers, model_ids, only_configured; then exclude_self_hosted
    # (self-hosted models of providers not in `configured`, counted in excluded_self_hosted); then
    # the context-window check (counted in excluded_context_window); then min_mmlu, min_quality and
    # max_total_cost. expected_output_tokens AUTO prices each model's predicted median output from
    # `outlook` (none without enough samples: input only). A model whose tokenizer is absent from
    # `counts` uses counts[o200k_key]. provider_names is used only when `models` is not already a
    # RankingTable. scores: model id -> score on the request's benchmark, used by the quality and
    # value sorts and shown as quality_score (None: the table's default_benchmark); min_quality: (scores by
    # model id, the least score), models without a score on that benchmark are left out.
    # extra_input_tokens: input tokens by model id that the text counts miss (a request's images,
    # priced by each vendor's own rule); they count like any input token. fallback_output_tokens:
    # with AUTO, the output priced for a model without a prediction (0: input only, as the API ranks).
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}, got {sort!r}")
    auto = expected_output_tokens == AUTO
    if not auto and (not isinstance(expected_output_tokens, int) or expected_output_tokens < 0):
        raise ValueError(f"expected_output_tokens must be {AUTO!r} or a non-negative integer")
    if limit is not None and limit < 0:
        raise ValueError("limit must not be negative")
    table = models if isinstance(models, RankingTable) else RankingTable(models, provider_names)
    if scores is None:
        scores = table.default_scores
    configured = frozenset(configured or ())
    given = fallback_output_tokens if auto else expected_output_tokens
    forecast_of = (outlook.forecasts if auto and outlook is not None else {}).get
    floor, top = BUCKET_FLOOR, TOP_BUCKET   # locals: the loop reads them for every model
    filtering = providers is not None or model_ids is not None or only_configured
    excluded = excluded_self_hosted = 0
    by_mmlu = sort == "mmlu"   # the mmlu sort keeps MMLU whatever the request's benchmark
    keyed = []
    for row in table.rows:
        model_id, provider, tokenizer, context_window, score, den, base, long, threshold, self_hosted, _ = row
        if filtering and ((providers is not None and provider not in providers)
                          or (model_ids is not None and model_id not in model_ids)
                          or (only_configured and provider not in configured)):
            continue
        if self_hosted and exclude_self_hosted and provider not in configured:
            excluded_self_hosted += 1
            continue
        count = counts.get(tokenizer) or counts[o200k_key]
        if extra_input_tokens and extra_input_tokens.get(model_id):
            count = TokenCount(count.count + extra_input_tokens[model_id], count.tokenizer, count.exact)
        tokens = count.count
        forecast = None
        out = given
        if auto:
            per_bucket = forecast_of(model_id)
            if per_bucket is not None:   # outlook.bucket(tokens), inlined
                index = 0 if tokens < floor else (tokens.bit_length() - 7) >> 1
                forecast = per_bucket[index if index < top else top]
                if forecast[0] is not None:   # Forecast.tokens; indexing is the fast path
                    out = forecast[0]
        if context_window < tokens + out:
            excluded += 1
            continue
        if min_mmlu is not None and (score is None or score < min_mmlu):
            continue
        if min_quality is not None:
            least = min_quality[0].get(model_id)
            if least is None or least < min_quality[1]:
                continue
        quality = scores.get(model_id)
        # PriceTable.amounts with no cached tokens, inlined: this loop is the hot path.
        long_context = tokens > threshold
        price_in, _, price_out = long if long_context else base
        input_units, output_units = tokens * price_in, out * price_out
        total = (input_units + output_units) / den
        if max_total_cost is not None and total > max_total_cost:
            continue
        keyed.append((total, score if by_mmlu else quality, row, count, input_units, output_units, long_context,
                      out, price_out, forecast, quality))
    _sort(keyed, sort)
    if limit is not None:
        keyed = keyed[:limit]
    return Ranking(_items(keyed, auto, configured), excluded, excluded_self_hosted)


def _sort(keyed: list[tuple], sort: str) -> None:
    # Stable sorts on plain float keys (CPython's fast path), least significant key first;
    # rows arrive in id order, which settles any remaining tie.
    keyed.sort(key=_total)
    if sort in ("mmlu", "quality"):   # best score first, models without one last
        keyed.sort(key=_mmlu_rank)
    elif sort == "value":
        keyed.sort(key=_value_rank)


def _total(entry: tuple) -> float:
    return entry[0]


def _mmlu_rank(entry: tuple) -> float:
    score = entry[1]
    return math.inf if score is None else -score


def _value_rank(entry: tuple) -> tuple[int, float]:
    # Score points (the request's benchmark, else the default one) per dollar, best first. A free model with a
    # score has unbounded value, so it leads (best score first); models without one trail, cheapest first.
    total, score = entry[0], entry[1]
    if score is None:
        return (2, 0.0)
    if total == 0:
        return (0, -score)
    return (1, -(score / total))


def _items(keyed: list[tuple], auto: bool, configured: frozenset[str]) -> list[dict]:
    items = []
    for total_cost, _, row, count, input_units, output_units, long_context, out, price_out, forecast, quality in keyed:
        provider, den, template = row[1], row[5], row[-1]
        item = template.copy()   # keeps ITEM_KEYS order; a copy plus a few stores beats a 20-key literal
        item["estimated_tokens"] = count.count
        item["total_cost"] = total_cost
        item["input_cost"] = input_units / den
        item["output_cost"] = output_units / den
        item["expected_output_tokens"] = out
        item["tokenizer"] = count.tokenizer
        item["token_count_exact"] = count.exact
        item["long_context"] = long_context
        item["configured"] = provider in configured
        if not auto:
            item["output_basis"] = {"kind": "given", "samples": 0}
        elif forecast is None or forecast[0] is None:
            item["output_basis"] = {"kind": "none", "samples": forecast[3] if forecast else 0}
        else:   # Forecast fields by index: tokens, low, high, samples
            item["output_basis"] = {"kind": "history", "samples": forecast[3]}
            item["output_cost_range"] = {"low": forecast[1] * price_out / den, "high": forecast[2] * price_out / den}
        item["quality_score"] = quality
        items.append(item)
    return items
