"""Catalog and cost-ranking endpoints."""
from __future__ import annotations

from flask import Blueprint, Response

from app.errors import APIError
from app.providers.vendors import find_vendor
from app.services import services

bp = Blueprint("pricing", __name__, url_prefix="/api")


def _json(body: bytes) -> Response:
    return Response(body, mimetype="application/json")


@bp.get("/models")
def list_models() -> Response:
    """List every catalog model."""
    return _json(services().payloads.models)


@bp.get("/models/provider/<provider>")
def list_provider_models(provider: str) -> Response:
    """List one provider's models; the provider is its key or display name, any case."""
    vendor = find_vendor(provider)
    body = services().payloads.by_provider(vendor.key) if vendor else None
    if body is None:
        raise APIError(404, f"Unknown provider {provider!r}.")
    return _json(body)


@bp.get("/providers")
def list_providers() -> Response:
    """List the providers in the catalog with model counts and whether keys are configured."""
    return _json(services().payloads.providers)
