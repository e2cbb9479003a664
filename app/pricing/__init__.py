"""Pricing: the catalog endpoints and the cost ranking (views over pure cost maths)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask

from app.catalog.model import Model
from app.catalog.service_tiers import DEFAULT, NO_TIERS, ServiceTiers, read_service_tiers
from app.pricing.catalog_payloads import CatalogPayloads
from app.pricing.ranking import RankingTable
from app.vendors import VENDORS


NAMES = {key: vendor.name for key, vendor in VENDORS.items()}
MAX_TABLES_AT = 32


@dataclass(frozen=True)
class Priced:
    """What the pricing views serve from one catalog snapshot: built once per snapshot."""

    payloads: CatalogPayloads     # catalog responses, serialized once
    ranking: RankingTable         # per-model price constants


class Pricing:
    """The pricing room: settings fixed at start-up, and the current snapshot's Priced."""

    def __init__(self, catalog: Any, configured: frozenset[str], cache_headers: dict[str, str],
                 reasons: Mapping[str, str | None] | None = None, tiers: ServiceTiers = NO_TIERS):
        self._catalog = catalog              # the LiveCatalog; its snapshots carry our Priced
        self.tiers = tiers                    # dated prices per service tier (service_tiers.csv)
        self.configured = configured          # vendor keys with credentials
        self.reasons = dict(reasons or {})    # vendor key -> why it is not configured
        self.cache_headers = cache_headers    # Cache-Control (and Vary) of catalog answers
        self._tables_at: dict[tuple, RankingTable] = {}   # ranking tables of other moments (`at`)
        self._tiers_now: dict[tuple, tuple] = {}   # (snapshot tag, tier) -> (table, lacking, valid until)

    def derive(self, snapshot: Any) -> Priced:
        """Build the payloads and ranking table of one catalog snapshot (at swap time, off the request)."""
        return Priced(CatalogPayloads(snapshot.repository, NAMES, self.configured, snapshot.tag, self.reasons,
                                      self.tiers.offered),
                      RankingTable(snapshot.repository.all(), NAMES))

    @property
    def current(self) -> Priced:
        """The current snapshot's payloads and ranking table (take it once per request)."""
        return self._catalog.current.derived["pricing"]

    def ranking_at(self, moment: datetime) -> RankingTable:
        """The ranking table with the prices in force at moment (past or announced future)."""
        return self.ranking_for(moment, DEFAULT)[0]

    def ranking_for(self, moment: datetime | None, tier: str) -> tuple[RankingTable, list[Model]]:
        """The ranking table at moment (None: now) and service tier, and the models without that tier then."""
        from app.catalog.snapshot import price_models

        snapshot = self._catalog.current
        if moment is None and tier == DEFAULT:
            return self.ranking, []
        now = self._catalog.clock()
        held = self._tiers_now.get((snapshot.tag, tier)) if moment is None else None
        if held is not None and (held[2] is None or now < held[2]):
            return held[0], held[1]   # the current snapshot at this tier, until a tier price changes
        models, _ = price_models(snapshot.repository.all(), snapshot.versions, moment or now)
        priced, lacking = self.tiers.price(models, tier, moment or now)
        key = (snapshot.tag, tier, tuple((model.id, model.price_effective_from, model.price_window,
                                          model.price_changes_at, model.input_price_per_mtok) for model in priced))
        table = self._tables_at.get(key)
        if table is None:
            if len(self._tables_at) >= MAX_TABLES_AT:   # a few moments are asked for; keep it bounded
                self._tables_at.clear()
            table = self._tables_at[key] = RankingTable(priced, NAMES)
        if moment is None:
            self._tiers_now = {(snapshot.tag, tier): (table, lacking, self.tiers.next_change(tier, now)),
                               **{k: v for k, v in self._tiers_now.items() if k[0] == snapshot.tag}}
        return table, lacking

    def now(self) -> datetime:
        """What "now" is for pricing (the catalog's clock; tests move it)."""
        return self._catalog.clock()

    def seconds_to_next_change(self) -> int | None:
        """Whole seconds until the current prices change (a window edge, a dated price), None if none is known."""
        snapshot = self._catalog.current
        if snapshot.next_change is None:
            return None
        return max(0, int((snapshot.next_change - self._catalog.clock()).total_seconds()))

    def history_start(self) -> datetime | None:
        """The start of the catalog's price history (its earliest version), None without dated prices."""
        versions = self._catalog.current.versions
        return min((history[0].effective_from for history in versions.values() if history), default=None)

    @property
    def payloads(self) -> CatalogPayloads:
        return self.current.payloads

    @property
    def ranking(self) -> RankingTable:
        return self.current.ranking


def init_app(app: Flask, settings: Mapping[str, Any]) -> None:
    """Derive payloads and the ranking table from every catalog snapshot; register the blueprint."""
    from app.pricing.views import bp, catalog_cache_headers

    catalog = app.extensions["catalog"]
    credentials = app.extensions["credentials"]
    tiers_csv = settings.get("SERVICE_TIERS_CSV") or Path(settings["MODELS_CSV"]).with_name("service_tiers.csv")
    tiers = read_service_tiers(tiers_csv, [model.id for model in catalog.current.repository.all()])
    pricing = Pricing(catalog, credentials.configured, catalog_cache_headers(settings["AUTH_MODE"]),
                      credentials.reasons, tiers)
    catalog.derive("pricing", pricing.derive)
    app.extensions["pricing"] = pricing
    app.register_blueprint(bp)
