"""One catalog row: a model a vendor sells, with its list prices and facts."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from app.vendors import VENDORS

if TYPE_CHECKING:
    from app.catalog.quality import Score

COLUMNS = (
    "id", "provider", "model_name", "api_model", "default",
    "input_price_per_mtok", "output_price_per_mtok", "cached_input_price_per_mtok",
    "long_context_threshold", "long_input_price_per_mtok", "long_output_price_per_mtok",
    "context_window", "max_output_tokens", "mmlu_score", "mmlu_pro_score", "model_size",
    "tokenizer", "prices_checked", "source", "released",
)
# A catalog written before the released column existed is still read (every release date unknown).
LEGACY_COLUMNS = COLUMNS[:-1]
TIER_COLUMNS = ("long_context_threshold", "long_input_price_per_mtok", "long_output_price_per_mtok")


@dataclass(frozen=True, slots=True)
class Model:
    id: str
    provider: str                 # a Vendor.key
    model_name: str
    api_model: str
    default: bool
    input_price_per_mtok: float   # USD per million tokens
    output_price_per_mtok: float
    cached_input_price_per_mtok: float | None
    long_context_threshold: int | None   # input tokens above (>) this use the long prices
    long_input_price_per_mtok: float | None
    long_output_price_per_mtok: float | None
    context_window: int
    max_output_tokens: int
    mmlu_score: float | None
    mmlu_pro_score: float | None   # once loaded, quality["mmlu_pro"]'s score (quality.csv)
    model_size: str
    tokenizer: str
    prices_checked: str           # ISO date the prices were last checked
    source: str                   # price page URL
    released: str | None = None   # ISO date the model was released (its maker's announcement), if known
    # Published scores by benchmark key, from quality.csv (shared by every provider of the model).
    quality: Mapping[str, Score] = field(default_factory=dict, compare=False)
    # What the model supports (tools, structured_output, reasoning, vision -> bool), from
    # capabilities.csv (app/agents/capabilities.py); a missing feature is unknown.
    capabilities: Mapping[str, bool] = field(default_factory=dict, compare=False)
    # The dated price version these prices come from (app/catalog/snapshot.py): its start, and
    # its database row (None when served from the files).
    price_effective_from: datetime | None = field(default=None, compare=False)
    price_version_id: int | None = field(default=None, compare=False)
    # The price window in force ("peak", "off_peak"; None for a price that holds all week), and
    # when the price next changes (a window opening or closing, a dated version), if known.
    price_window: str | None = field(default=None, compare=False)
    price_changes_at: datetime | None = field(default=None, compare=False)

    @property
    def price_per_token(self) -> float:
        """Input USD per token: the seed's single price figure."""
        return self.input_price_per_mtok / 1_000_000

    @property
    def self_hosted(self) -> bool:
        """The model runs on the caller's own hardware (Ollama): the catalog's 0 is no API price."""
        vendor = VENDORS.get(self.provider)
        return vendor is not None and vendor.self_hosted

    @property
    def estimate_only(self) -> bool:
        """Priced for estimates only: a batch API that send_prompt and /v1 cannot call."""
        vendor = VENDORS.get(self.provider)
        return vendor is not None and self.api_model.endswith(vendor.estimate_only_suffixes)

    @property
    def has_long_context_tier(self) -> bool:
        return self.long_context_threshold is not None
