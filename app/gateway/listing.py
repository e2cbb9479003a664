"""GET /v1/models in OpenAI's shape with OpenRouter's extras: context_length and per-token pricing."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal

from app.catalog import Model
from app.gateway.candidates import AUTO
from app.pricing.ranking import iso_moment

PER_MILLION = Decimal(1_000_000)
# OpenRouter's convention for a router whose price depends on the model it picks.
VARIABLE = "-1"


def model_list(models: Iterable[Model]) -> dict:
    """auto, then every model a configured provider serves."""
    models = list(models)
    return {"object": "list", "data": [auto_entry(models)] + [model_entry(model) for model in models]}


def model_entry(model: Model, listed_as: str | None = None) -> dict:
    """One model: ``id`` (the catalog id, or the name it was asked for), ``created`` (its release date),
    ``context_length`` and ``pricing`` (USD per token as exact decimal strings)."""
    return {"id": listed_as or model.id, "object": "model", "created": released_at(model),
            "owned_by": model.provider, "context_length": model.context_window, "pricing": pricing(model),
            "price_runner": prices_in_force(model)}


def prices_in_force(model: Model) -> dict:
    """Our own view of the prices: per million tokens, the price window in force and its next change."""
    return {"input_price_per_mtok": model.input_price_per_mtok, "output_price_per_mtok": model.output_price_per_mtok,
            "cached_input_price_per_mtok": model.cached_input_price_per_mtok, "price_window": model.price_window,
            "price_changes_at": iso_moment(model.price_changes_at)}


def auto_entry(models: list[Model]) -> dict:
    """auto: it may pick any of the models, so its context is the largest and its price varies."""
    return {"id": AUTO, "object": "model", "created": max((released_at(m) for m in models), default=0),
            "owned_by": "price-runner", "context_length": max((m.context_window for m in models), default=0),
            "pricing": {"prompt": VARIABLE, "completion": VARIABLE}}


def released_at(model: Model) -> int:
    """The model's release date as a Unix timestamp (00:00 UTC), 0 when the catalog does not know it."""
    if not model.released:
        return 0
    return int(datetime.combine(date.fromisoformat(model.released), datetime.min.time(), UTC).timestamp())


def pricing(model: Model) -> dict[str, str]:
    """OpenRouter's pricing object: prompt, completion and (where the catalog has it) input_cache_read."""
    prices = {"prompt": model.input_price_per_mtok, "completion": model.output_price_per_mtok,
              "input_cache_read": model.cached_input_price_per_mtok}
    return {name: per_token(value) for name, value in prices.items() if value is not None}


def per_token(per_million: float) -> str:
    """USD per token as a plain decimal string, exact: the catalog's figure (repr gives back the literal
    the file holds) divided by a million."""
    return format((Decimal(repr(per_million)) / PER_MILLION).normalize(), "f")
