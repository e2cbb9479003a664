"""What the installed genai-prices data says: a catalog model's dated prices, each provider's models.

Reads a given snapshot (app/store/price_source.py), by default the installed package's data
(``get_snapshot``, offline); nothing here fetches.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from importlib.metadata import version as package_version

from genai_prices.data_snapshot import DataSnapshot, get_snapshot
from genai_prices.types import ModelInfo, ModelPrice, StartDateConstraint, TieredPrices, TimeOfDateConstraint

from app.store.price_versions import SINCE_EVER, Prices, Version, utc_moment

# Our vendor key -> genai-prices provider id (the rest are the same string). Its "azure"
# provider falls back to the openai/anthropic/... price lists by itself.
GENAI_PROVIDER = {"bedrock": "aws", "xai": "x-ai"}
NOON = time(12, tzinfo=UTC)
TIER_KEY = "service_tier"   # genai-prices' price-variant key for a vendor's service tier


class UpstreamError(ValueError):
    """genai-prices prices a model in a way the catalog's columns cannot express."""


@dataclass(frozen=True, slots=True)
class Timeline:
    """A model's prices in genai-prices: (start, prices), oldest first, consecutive ones differ."""

    genai_provider: str
    genai_id: str
    changes: tuple[tuple[datetime, Prices], ...]
    source: str


def genai_provider(provider_key: str) -> str:
    """The genai-prices provider id for one of our vendor keys."""
    return GENAI_PROVIDER.get(provider_key, provider_key)


def source_label(peak: bool = False, label: str | None = None) -> str:
    """How a version taken from genai-prices (or the data at a given source) names its source."""
    label = label or f"genai-prices {package_version('genai-prices')}"
    return f"{label} (peak rate)" if peak else label


def timeline(provider_key: str, api_model: str, snapshot: DataSnapshot | None = None,
             label: str | None = None) -> Timeline | None:
    """Every dated price genai-prices knows for a model; None when it does not list the model."""
    try:
        provider, info = (snapshot or get_snapshot()).find_provider_model(
            api_model, None, genai_provider(provider_key), None)
    except LookupError:
        return None
    return model_timeline(provider.id, info, label)


def model_timeline(provider_id: str, info: ModelInfo, label: str | None = None) -> Timeline:
    """One genai-prices model's dated prices as catalog columns (UpstreamError if they cannot hold them)."""
    constraints = [c.constraint for c in (info.prices if isinstance(info.prices, list) else [])]
    starts = sorted({c.start_date for c in constraints if isinstance(c, StartDateConstraint)})
    windows = [c.start_time for c in constraints if isinstance(c, TimeOfDateConstraint)]
    changes: list[tuple[datetime, Prices]] = []
    for day in [SINCE_EVER.date(), *starts]:
        prices = _dearest(info, day, windows)
        if not changes or changes[-1][1] != prices:
            changes.append((utc_moment(day), prices))
    return Timeline(provider_id, info.id, tuple(changes), source_label(bool(windows), label))


def listed_models(provider_keys: Iterable[str], snapshot: DataSnapshot | None = None) -> dict[str, set[str]]:
    """genai-prices provider id -> the ids of the models it lists, for our providers it knows."""
    snapshot = snapshot or get_snapshot()
    wanted = {genai_provider(key) for key in provider_keys}
    return {p.id: {m.id for m in p.models} for p in snapshot.providers if p.id in wanted}


def _dearest(info: ModelInfo, day: date, windows: list[time]) -> Prices:
    # Time-of-day prices (DeepSeek's peak hours) are held at the dearest rate of the day,
    # so that an estimate never understates the cost.
    moments = [datetime.combine(day, NOON)] + [datetime.combine(day, start).replace(
        tzinfo=start.tzinfo or UTC) for start in windows]
    candidates = [to_prices(info.get_prices(moment), info.id) for moment in moments]
    return max(candidates, key=lambda prices: (prices.input, prices.output))


def to_prices(price: ModelPrice, genai_id: str) -> Prices:
    """genai-prices' ModelPrice as catalog columns (UpstreamError if they cannot hold it)."""
    fields = {"input": price.input_mtok, "output": price.output_mtok, "cached": price.cache_read_mtok}
    tiered = {name: value for name, value in fields.items() if isinstance(value, TieredPrices)}
    starts = {tier.start for value in tiered.values() for tier in value.tiers}
    if len(starts) > 1 or any(len(value.tiers) != 1 for value in tiered.values()):
        raise UpstreamError(f"{genai_id}: several long-context tiers; the catalog holds one")
    if tiered and not {"input", "output"} & tiered.keys():
        raise UpstreamError(f"{genai_id}: only the cached price has a tier; the catalog cannot hold that")
    base = {name: value.base if isinstance(value, TieredPrices) else value for name, value in fields.items()}
    if base["input"] is not None and base["output"] is None:
        raise UpstreamError(f"{genai_id}: input price only (no per-token output price)")
    if base["input"] is None or base["output"] is None:
        raise UpstreamError(f"{genai_id}: no per-token input and output prices")
    threshold = starts.pop() if starts else None

    def above(name: str) -> Decimal | None:
        value = fields[name]
        return None if threshold is None else value.tiers[0].price if name in tiered else base[name]

    return Prices(input=base["input"], output=base["output"], cached_input=base["cached"],
                  long_context_threshold=threshold, long_input=above("input"), long_output=above("output"))


def upstream_versions(model_id: str, found: Timeline, checked_at: date) -> list[Version]:
    """A timeline as price versions of one catalog model."""
    return [Version(model_id, day, prices, found.source, checked_at) for day, prices in found.changes]


def tier_timelines(info: ModelInfo) -> dict[str, tuple[tuple[datetime, Prices], ...]]:
    """A model's prices at each service tier the data names (other than "default", the standard prices).

    Each tier starts on the first day the data prices it (earlier tier history is not modelled there)
    and changes on every date the standard prices or the tier's own prices change.
    """
    variants = [v for v in info.price_variants or () if set(v.when) == {TIER_KEY}]
    tiers = sorted({v.when[TIER_KEY] for v in variants} - {"default"})
    standard = [c.constraint.start_date for c in (info.prices if isinstance(info.prices, list) else [])
                if isinstance(c.constraint, StartDateConstraint)]
    found = {}
    for tier in tiers:
        own = [v for v in variants if v.when[TIER_KEY] == tier]
        starts = {v.constraint.start_date for v in own if isinstance(v.constraint, StartDateConstraint)}
        changes: list[tuple[datetime, Prices]] = []
        for day in sorted({SINCE_EVER.date(), *standard, *starts}):
            moment = datetime.combine(day, NOON)
            if not any(v.constraint is None or v.constraint.active(moment) for v in own):
                continue
            prices = to_prices(info.get_prices(moment, {TIER_KEY: tier}), info.id)
            if not changes or changes[-1][1] != prices:
                changes.append((utc_moment(day), prices))
        found[tier] = tuple(changes)
    return found


def find_model(provider_key: str, api_model: str, snapshot: DataSnapshot | None = None) -> ModelInfo | None:
    """genai-prices' entry for one of our models, or None."""
    try:
        return (snapshot or get_snapshot()).find_provider_model(api_model, None, genai_provider(provider_key), None)[1]
    except LookupError:
        return None
