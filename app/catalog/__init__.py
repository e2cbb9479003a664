"""The model catalog: rows, the CSV loader and the repository views read from."""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from app.catalog.csv_loader import CatalogError, load_models
from app.catalog.model import Model
from app.catalog.quality import Score, attach_quality, load_quality
from app.catalog.repository import CatalogRepository, InMemoryCatalog
from app.vendors import VENDORS

__all__ = ["CatalogError", "CatalogRepository", "InMemoryCatalog", "Model", "Score", "init_app",
           "load_catalog", "load_models", "load_quality"]


def load_catalog(models_csv: str | Path, quality_csv: str | Path,
                 capabilities_csv: str | Path | None = None) -> list[Model]:
    """Read models.csv and quality.csv (and capabilities.csv when given) into models carrying their
    published scores and documented capabilities."""
    models = attach_quality(load_models(models_csv, VENDORS.keys()), load_quality(quality_csv), quality_csv)
    if capabilities_csv is None:
        return models
    from app.agents.capabilities import attach_capabilities, load_capabilities
    return attach_capabilities(models, load_capabilities(capabilities_csv, {m.model_name for m in models}))


def init_app(app: Flask, settings: Mapping[str, Any]) -> None:
    """The live catalog into app.extensions["catalog"]: from the database, else from the files.

    CatalogError on a bad file; a database that cannot serve the catalog is a reason in /ready.
    """
    from app.catalog.live import LiveCatalog
    from app.catalog.sources import catalog_sources

    live = LiveCatalog(*catalog_sources(app.extensions["store"], settings["QUALITY_CSV"],
                                       settings["CAPABILITIES_CSV"]),
                       refresh_s=settings["CATALOG_REFRESH_S"])
    app.extensions["catalog"] = live

    @app.before_request
    def _watch() -> None:
        # In the serving process (a gunicorn worker, after the fork): one refresher thread.
        if live.watched_by != os.getpid():
            live.watched_by = os.getpid()
            from app.catalog.live import REFRESHER
            REFRESHER.watch(live)
