"""Catalog and cost-ranking endpoints."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, current_app, request

from app.catalog import CatalogRepository
from app.catalog.selection import UnknownNames, provider_keys
from app.errors import APIError
from app.pricing.benchmarks import BenchmarkError, check_minimum, check_value, resolve
from app.pricing.catalog_payloads import Payload
from app.pricing.ranking import RankingTable, iso_moment, rank
from app.store.price_versions import moment_label
from app.pricing.schemas import PriceRequestSchema
from app.vendors import find_vendor
from app.responses import json_response
from app.security import CREDENTIAL_HEADERS
from app.security.gate import current_caller
from app.tokens.counter import BASE_ENCODING
from app.validation import load_json

bp = Blueprint("pricing", __name__, url_prefix="/api")
PRICE_REQUEST = PriceRequestSchema()   # schemas are stateless once built; build once


MAX_AGE_S = 60
CATALOG_CACHE_CONTROL = f"public, max-age={MAX_AGE_S}"
# With authentication on, a shared cache must not answer one caller with another's response.
PRIVATE_CACHE_CONTROL = f"private, max-age={MAX_AGE_S}"


def catalog_cache_headers(auth_mode: str) -> dict[str, str]:
    """Cache-Control (and Vary) for catalog answers under this AUTH_MODE (computed at start-up)."""
    credentials = CREDENTIAL_HEADERS.get(auth_mode)
    if not credentials:
        return {"Cache-Control": CATALOG_CACHE_CONTROL}
    return {"Cache-Control": PRIVATE_CACHE_CONTROL, "Vary": ", ".join(credentials)}


def _catalog(payload: Payload) -> Response:
    """Serve pre-serialized catalog bytes with an ETag; If-None-Match gets a 304."""
    headers = {"ETag": payload.quoted_etag, **_cache_headers(current_app.extensions["pricing"])}
    # A direct check rather than Response.make_conditional: this is the hottest read path.
    # If-None-Match compares weakly (RFC 9110 13.1.2): nginx's gzip turns our ETag into W/"...".
    if "HTTP_IF_NONE_MATCH" in request.environ and request.if_none_match.contains_weak(payload.etag):
        return Response(status=304, headers=headers)
    return json_response(payload.body, headers=headers)


def _cache_headers(pricing) -> dict[str, str]:
    """The catalog's cache headers; max-age ends no later than the next price change (a window edge)."""
    headers = pricing.cache_headers
    left = pricing.seconds_to_next_change()
    if left is None or left >= MAX_AGE_S:
        return headers
    return {**headers, "Cache-Control": headers["Cache-Control"].replace(f"max-age={MAX_AGE_S}", f"max-age={left}")}


@bp.get("/models")
def list_models() -> Response:
    """List every catalog model."""
    return _catalog(current_app.extensions["pricing"].payloads.models)


@bp.get("/models/provider/<provider>")
def list_provider_models(provider: str) -> Response:
    """List one provider's models; the provider is its key or display name, any case."""
    vendor = find_vendor(provider)
    payload = current_app.extensions["pricing"].payloads.by_provider(vendor.key) if vendor else None
    if payload is None:
        raise APIError(404, f"Unknown provider {provider!r}.")
    return _catalog(payload)


@bp.get("/providers")
def list_providers() -> Response:
    """List the providers in the catalog with model counts and whether keys are configured."""
    return _catalog(current_app.extensions["pricing"].payloads.providers)


@bp.post("/get_best_price_for_prompt")
def best_price_for_prompt() -> Response:
    """Rank every model by what the prompt would cost on it, cheapest first."""
    body = load_json(PRICE_REQUEST)
    extensions = current_app.extensions
    pricing = extensions["pricing"]
    tier = _service_tier(pricing.tiers.names, body["service_tier"])
    at = None if body["at"] is None else _within_history(pricing, body["at"])
    table, lacking = pricing.ranking_for(at, tier)
    providers = _provider_filter(body["providers"])
    model_ids = _model_filter(extensions["catalog"], body["model_names"])
    # Models without the tier, counted after the provider and model filters (before the others).
    without_tier = sum(1 for model in lacking if (providers is None or model.provider in providers)
                       and (model_ids is None or model.id in model_ids))
    scores, min_quality = _quality(body, table)
    # The o200k count is the response's estimated_tokens, also when a tier leaves no o200k model.
    counts = extensions["tokens"].count(body["prompt"], table.tokenizers | {BASE_ENCODING}, system=body["system"] or "")
    # Self-hosted models have no API price: ranked only when asked for, by name or by the flag.
    exclude_self_hosted = not body["include_self_hosted"] and providers is None and model_ids is None
    ranking = rank(table, counts, expected_output_tokens=body["expected_output_tokens"],
                   outlook=extensions["forecast"].current, sort=body["sort"], providers=providers,
                   model_ids=model_ids, min_mmlu=body["min_mmlu"], max_total_cost=body["max_total_cost"],
                   configured=pricing.configured, only_configured=body["only_configured"],
                   exclude_self_hosted=exclude_self_hosted, limit=body["limit"],
                   scores=scores, min_quality=min_quality)
    return json_response({
        "success": True, "prompt": body["prompt"], "estimated_tokens": counts[BASE_ENCODING].count,
        "count": len(ranking.items), "excluded": {"context_window": ranking.excluded_context_window,
                                                  "self_hosted": ranking.excluded_self_hosted,
                                                  "service_tier": without_tier},
        "data": ranking.items,
        "benchmark": table.default_benchmark if body["benchmark"] is None else body["benchmark"],
        "service_tier": tier})


def _service_tier(known: tuple[str, ...], wanted: str | None) -> str:
    """The request's service tier (default without one); 400 listing the known tiers for another name."""
    if wanted is None or wanted in known:
        return wanted or known[0]
    message = f"Unknown service_tier {wanted!r}; known tiers: {', '.join(known)}."
    raise APIError(400, message, fields={"service_tier": [message]})


def _within_history(pricing, moment: datetime) -> datetime:
    """moment, if the catalog's price history covers it; else a 400 naming where the history starts."""
    start = pricing.history_start()
    if start is not None and moment < start:
        message = (f"at {iso_moment(moment)} is before the catalog's price history, which starts "
                   f"{moment_label(start)}; ask for a moment from then on.")
        raise APIError(400, message, fields={"at": [message]})
    return moment


def _quality(body: dict, table: RankingTable) -> tuple[dict | None, tuple | None]:
    """The scores of the request's benchmark, and its min_quality filter; 400 for a benchmark it cannot use."""
    if body["benchmark"] is None and body["min_quality"] is None:
        return None, None   # the common request: no lookup at all
    found: dict[str, object] = {}

    def named(key: str, field: str):
        if key not in found:   # one lookup per benchmark and request
            found[key] = resolve(key, table.models, _eval_scores, field)
        return found[key]

    try:
        scores = None
        if body["benchmark"] is not None:
            benchmark = named(body["benchmark"], "benchmark")
            if body["sort"] == "value":
                check_value(benchmark, "benchmark")
            scores = benchmark.scores
        minimum = None
        if body["min_quality"] is not None:
            least = named(body["min_quality"]["benchmark"], "min_quality")
            check_minimum(least, body["min_quality"]["score"], "min_quality")
            minimum = (least.scores, body["min_quality"]["score"])
    except BenchmarkError as exc:
        raise APIError(400, exc.message, fields={exc.field: [exc.message]}) from None
    return scores, minimum


def _eval_scores(name: str) -> dict[str, float] | None:
    """The caller's latest score per model for an eval name (one database read), None if never run."""
    return current_app.extensions["evals"].scores(current_caller(), name)


def _provider_filter(names: list[str] | None) -> set[str] | None:
    if names is None:
        return None
    try:
        return set(provider_keys(names))
    except UnknownNames as exc:
        raise APIError(400, f"Unknown provider(s): {exc}.", fields={"providers": [str(exc)]}) from None


def _model_filter(catalog: CatalogRepository, names: list[str] | None) -> set[str] | None:
    if names is None:
        return None
    try:
        return {model.id for model in catalog.named(names)}
    except UnknownNames as exc:
        raise APIError(400, f"Unknown model(s): {exc}.", fields={"model_names": [str(exc)]}) from None
