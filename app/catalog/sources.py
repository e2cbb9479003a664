"""Where a live catalog comes from: the database (with its version), or the reviewed files."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from app.agents.capabilities import attach_capabilities, load_capabilities
from app.catalog.csv_loader import load_models
from app.catalog.model import Model
from app.catalog.live import Loaded
from app.catalog.quality import attach_quality, load_quality
from app.catalog.snapshot import group_versions
from app.store import Store
from app.store.catalog_db import catalog_version, load_catalog
from app.store.catalog_files import read_catalog
from app.store.engine import reading
from app.vendors import VENDORS


def catalog_sources(store: Store, quality_csv: str | Path, capabilities_csv: str | Path | None = None
                    ) -> tuple[Callable[[datetime], Loaded], Callable[[], int | None], Callable[[datetime], Loaded]]:
    """(load from the database, peek at its version, load from the files) for LiveCatalog."""
    quality = load_quality(quality_csv)   # scores are reviewed files only: read once, shared
    capabilities = _capabilities(store, capabilities_csv)   # reviewed file too: read once, checked against models.csv

    def attach(models: list[Model]) -> list[Model]:
        return attach_capabilities(attach_quality(models, quality, quality_csv), capabilities)

    def from_database(moment: datetime) -> Loaded:
        with reading(store.engine) as session:
            version, models, versions = load_catalog(session, moment)
        if not models:
            raise LookupError("the database holds no catalog yet (price-runner db upgrade seeds it)")
        return Loaded(version, "database", attach(models), versions)

    def peek() -> int | None:
        with reading(store.engine) as session:
            return catalog_version(session)

    def from_files(moment: datetime) -> Loaded:
        if not Path(store.history_csv).exists():   # a catalog without dated prices: its rows' prices
            return Loaded(None, "files", attach(load_models(store.models_csv, VENDORS.keys())), {})
        models, versions = read_catalog(store.models_csv, store.history_csv)
        return Loaded(None, "files", attach(models), group_versions(versions))

    return from_database, peek, from_files


def _capabilities(store: Store, path: str | Path | None) -> dict[str, dict[str, bool]]:
    """capabilities.csv by model_name: CAPABILITIES_CSV, else the file beside MODELS_CSV, else none
    (every capability unknown). Its model names must be those of MODELS_CSV."""
    if path is None:
        path = Path(store.models_csv).with_name("capabilities.csv")
        if not path.exists():
            return {}
    names = {model.model_name for model in load_models(store.models_csv, VENDORS.keys())}
    return load_capabilities(path, names)
