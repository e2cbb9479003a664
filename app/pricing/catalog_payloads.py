"""Catalog responses, serialized once per worker: the catalog only changes at start-up."""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.catalog import CatalogRepository, Model
from app.catalog.quality import quality_to_dict
from app.pricing.benchmarks import default_benchmark
from app.pricing.ranking import iso_moment
from app.responses import dumps


def model_to_dict(model: Model, provider_name: str, configured: bool,
                  service_tiers: Sequence[str] = ("default",)) -> dict[str, Any]:
    """Return the public view of one catalog row (the seed's fields first)."""
    return {
        "id": model.id,
        "model_name": model.model_name,
        "provider": provider_name,
        "price_per_token": model.price_per_token,
        "mmlu_score": model.mmlu_score,
        "model_size": model.model_size,
        "api_model": model.api_model,
        "input_price_per_mtok": model.input_price_per_mtok,
        "output_price_per_mtok": model.output_price_per_mtok,
        "cached_input_price_per_mtok": model.cached_input_price_per_mtok,
        "long_context_threshold": model.long_context_threshold,
        "long_input_price_per_mtok": model.long_input_price_per_mtok,
        "long_output_price_per_mtok": model.long_output_price_per_mtok,
        "context_window": model.context_window,
        "max_output_tokens": model.max_output_tokens,
        "mmlu_pro_score": model.mmlu_pro_score,
        "tokenizer": model.tokenizer,
        "prices_checked": model.prices_checked,
        "default": model.default,
        "configured": configured,
        "self_hosted": model.self_hosted,
        "quality": quality_to_dict(model.quality),
        "price_effective_from": iso_moment(model.price_effective_from),
        "price_window": model.price_window,
        "price_changes_at": iso_moment(model.price_changes_at),
        "service_tiers": list(service_tiers),
    }


@dataclass(frozen=True)
class Payload:
    """A serialized response and its strong ETag."""

    body: bytes
    etag: str

    @property
    def quoted_etag(self) -> str:
        """The ETag header value."""
        return f'"{self.etag}"'


def envelope(data: list[dict[str, Any]], tag: str = "", **extra: Any) -> Payload:
    """Serialize the seed's success envelope (plus extra fields) once, with an ETag of its bytes and the
    catalog's tag (its version and the start of the prices in force: a new version is a new ETag)."""
    body = dumps({"success": True, "count": len(data), "data": data, **extra})
    return Payload(body, hashlib.sha256(tag.encode() + b"\n" + body).hexdigest()[:32])


class CatalogPayloads:
    """The bytes of every catalog response, keyed the way the views look them up."""

    def __init__(self, catalog: CatalogRepository, provider_names: Mapping[str, str],
                 configured: Collection[str], tag: str = "",
                 reasons: Mapping[str, str | None] | None = None,
                 service_tiers: Callable[[str], Sequence[str]] = lambda model_id: ("default",)):
        def rows(models: list[Model]) -> list[dict[str, Any]]:
            return [model_to_dict(m, provider_names[m.provider], m.provider in configured, service_tiers(m.id))
                    for m in models]

        # The benchmark the page and the ranking show when none is chosen: the whole catalog's.
        benchmark = default_benchmark(catalog.all())
        self.models = envelope(rows(catalog.all()), tag, default_benchmark=benchmark)
        self._by_provider = {key: envelope(rows(catalog.by_provider(key)), tag, default_benchmark=benchmark)
                             for key in catalog.providers()}
        self.providers = envelope([
            {"name": provider_names[key], "key": key, "model_count": len(catalog.by_provider(key)),
             "configured": key in configured,
             "reason": None if key in configured else (reasons or {}).get(key, "no key")}
            for key in catalog.providers()], tag)

    def by_provider(self, key: str) -> Payload | None:
        """Return one provider's models, or None when the catalog has none for it."""
        return self._by_provider.get(key)
