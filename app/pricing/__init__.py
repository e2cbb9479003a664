"""Pricing: the catalog endpoints and the cost ranking (views over pure cost maths)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask

from app.pricing.catalog_payloads import CatalogPayloads
from app.pricing.ranking import RankingTable
from app.vendors import VENDORS


@dataclass(frozen=True)
class Pricing:
    """What the pricing views serve from: built once per catalog, shared by fork."""

    payloads: CatalogPayloads     # catalog responses, serialized once
    ranking: RankingTable         # per-model price constants
    configured: frozenset[str]    # vendor keys with credentials
    cache_headers: dict[str, str]  # Cache-Control (and Vary) of catalog answers


def init_app(app: Flask, settings: Mapping[str, Any]) -> None:
    """Build payloads and the ranking table from the catalog; register the blueprint."""
    from app.pricing.views import bp, catalog_cache_headers

    catalog, configured = app.extensions["catalog"], app.extensions["credentials"].configured
    names = {key: vendor.name for key, vendor in VENDORS.items()}
    app.extensions["pricing"] = Pricing(CatalogPayloads(catalog, names, configured),
                                        RankingTable(catalog.all(), names), configured,
                                        catalog_cache_headers(settings["AUTH_MODE"]))
    app.register_blueprint(bp)
