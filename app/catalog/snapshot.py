"""A catalog snapshot: the models with the prices in force at one moment. Pure: no Flask, no I/O.

A worker serves from one snapshot at a time and swaps it whole (a single attribute store): when
the database's catalog version changes, and when a dated price version takes effect. Each package
derives what it serves (payloads, ranking tables) from the snapshot once, into ``derived``.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.catalog.model import Model
from app.catalog.repository import InMemoryCatalog
from app.store.catalog_files import model_prices
from app.store.price_versions import Version, moment_label, next_price_change, price_in_force, utc_moment

# A package's builder: snapshot -> what it serves from that snapshot (payloads, tables...).
Derivation = Callable[["Snapshot"], Any]


@dataclass(frozen=True)
class Snapshot:
    """Models priced at ``moment``, from catalog ``version`` of ``source`` ("database" or "files")."""

    version: int | None
    source: str
    moment: datetime
    repository: InMemoryCatalog
    next_change: datetime | None          # when the next dated price or window takes effect (rebuild then)
    versions: Mapping[str, Sequence[Version]]
    tag: str                              # what ETags vary with besides the bytes (version, prices' start)
    derived: dict[str, Any] = field(default_factory=dict, compare=False)


def price_models(models: Iterable[Model], versions: Mapping[str, Sequence[Version]],
                 moment: datetime) -> tuple[list[Model], datetime | None]:
    """Each model with the version in force at moment, its window and when its price next changes
    (a model without versions keeps its row's prices); and the first such change of any model."""
    moment = utc_moment(moment)
    priced = []
    for model in models:
        history = versions.get(model.id, ())
        version = price_in_force(history, moment)
        if version is not None:
            model = dataclasses.replace(model, **model_prices(version.prices),
                                        price_effective_from=version.effective_from,
                                        price_version_id=version.id, price_window=version.window_name,
                                        price_changes_at=next_price_change(history, moment))
        priced.append(model)
    changes = [model.price_changes_at for model in priced if model.price_changes_at is not None]
    return priced, min(changes, default=None)


def build(models: Iterable[Model], versions: Mapping[str, Sequence[Version]], moment: datetime, *,
          version: int | None, source: str, derivations: Mapping[str, Derivation] = {}) -> Snapshot:
    """Price the models at moment and run every package's derivation on the result."""
    priced, next_change = price_models(models, versions, moment)
    tag = f"{source}:{version}:{prices_tag(priced)}"
    snapshot = Snapshot(version, source, utc_moment(moment), InMemoryCatalog(priced), next_change, versions, tag)
    for name, derive in derivations.items():
        snapshot.derived[name] = derive(snapshot)
    return snapshot


def prices_tag(priced: Iterable[Model]) -> str:
    """What ETags vary with in the prices: the latest start in force, and every window in force."""
    priced = list(priced)
    starts = [model.price_effective_from for model in priced if model.price_effective_from is not None]
    windows = ",".join(sorted(f"{model.id}={model.price_window}" for model in priced if model.price_window))
    return f"{moment_label(max(starts)) if starts else '-'}:{windows}"


def group_versions(versions: Iterable[Version]) -> dict[str, list[Version]]:
    """model id -> its versions, oldest first."""
    grouped: dict[str, list[Version]] = {}
    for version in sorted(versions, key=lambda v: (v.model_id, v.effective_from)):
        grouped.setdefault(version.model_id, []).append(version)
    return grouped
