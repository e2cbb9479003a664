"""Service-tier prices (service_tiers.csv): a model's dated prices at each tier its vendor sells.

Pure reading and pricing, no Flask. A row holds a model's full prices at one tier from effective_from
on, like price_history.csv. "default" is every model's standard price (the catalog's own); a model
without rows for another tier does not offer it (or the data does not price it at that moment).
"""
from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from app.catalog.csv_loader import CatalogError
from app.catalog.model import Model
from app.store.catalog_files import HISTORY_PARSERS, PRICE_COLUMNS, cell, model_prices
from app.store.price_versions import Prices, Version, history_problems, price_in_force

DEFAULT = "default"
TIER_COLUMNS = ("model_id", "service_tier", "effective_from", *PRICE_COLUMNS, "source", "checked_at")


@dataclass(frozen=True)
class ServiceTiers:
    """tier -> model id -> that model's versions at the tier, oldest first."""

    versions: Mapping[str, Mapping[str, Sequence[Version]]]

    @property
    def names(self) -> tuple[str, ...]:
        """Every tier name the data uses, "default" first."""
        return (DEFAULT, *sorted(set(self.versions) - {DEFAULT}))

    def offered(self, model_id: str) -> tuple[str, ...]:
        """The tiers one model is priced at (at some moment), "default" first."""
        return (DEFAULT, *sorted(tier for tier, models in self.versions.items() if model_id in models))

    def next_change(self, tier: str, moment: datetime) -> datetime | None:
        """When a price of that tier next starts after moment (None: none is announced)."""
        starts = [v.effective_from for history in self.versions.get(tier, {}).values() for v in history
                  if v.effective_from > moment]
        return min(starts, default=None)

    def price(self, models: Iterable[Model], tier: str, moment: datetime) -> tuple[list[Model], list[Model]]:
        """The models priced at tier at moment, and those without that tier then."""
        if tier == DEFAULT:
            return list(models), []
        at_tier = self.versions.get(tier, {})
        priced, lacking = [], []
        for model in models:
            version = price_in_force(at_tier.get(model.id, ()), moment)
            if version is None:
                lacking.append(model)
            else:
                priced.append(dataclasses.replace(model, **model_prices(version.prices)))
        return priced, lacking


NO_TIERS = ServiceTiers({})


def read_service_tiers(path: str | Path | None, model_ids: Iterable[str]) -> ServiceTiers:
    """Parse service_tiers.csv (none: no tier but "default"), or raise CatalogError naming file, line and column."""
    if path is None or not Path(path).is_file():
        return NO_TIERS
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CatalogError(path, None, None, f"cannot read service tiers: {exc}") from exc
    if not rows or tuple(c.strip() for c in rows[0]) != TIER_COLUMNS:
        raise CatalogError(path, 1, None, f"header must be exactly: {','.join(TIER_COLUMNS)}")
    known, found = set(model_ids), {}
    for line, row in enumerate(rows[1:], start=2):
        if any(c.strip() for c in row):
            tier, version = _row(path, line, row, known)
            found.setdefault(tier, {}).setdefault(version.model_id, []).append(version)
    for tier, models in found.items():
        for model_id, history in models.items():
            history.sort(key=lambda version: version.effective_from)
            problems = history_problems(history)
            if problems:
                raise CatalogError(path, None, None, f"{tier}: " + "; ".join(problems))
    return ServiceTiers(found)


def _row(path, line: int, row: list[str], known: set[str]) -> tuple[str, Version]:
    if len(row) != len(TIER_COLUMNS):
        raise CatalogError(path, line, None, f"expected {len(TIER_COLUMNS)} cells, found {len(row)}")
    values = {}
    for column, raw in zip(TIER_COLUMNS, row):
        try:
            values[column] = raw.strip() if column == "service_tier" else HISTORY_PARSERS[column](raw.strip())
        except ValueError as exc:
            raise CatalogError(path, line, column, str(exc)) from exc
    if values["model_id"] not in known:
        raise CatalogError(path, line, "model_id", f"{values['model_id']!r} is not a catalog model")
    if not values["service_tier"] or values["service_tier"] == DEFAULT:
        raise CatalogError(path, line, "service_tier", "must name a tier other than default (the standard prices)")
    prices = Prices(**{field: values[column] for column, field in PRICE_COLUMNS.items()})
    return values["service_tier"], Version(values["model_id"], values["effective_from"], prices, values["source"],
                                           values["checked_at"])


def write_service_tiers(path: str | Path, rows: Iterable[tuple[str, Version]]) -> None:
    """Write service_tiers.csv, one row per (tier, version), in the order given."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(TIER_COLUMNS)
        for tier, version in rows:
            writer.writerow([version.model_id, tier, cell(version.effective_from),
                             *(cell(getattr(version.prices, name)) for name in PRICE_COLUMNS.values()),
                             version.source, cell(version.checked_at)])
