"""The model catalog: rows, the CSV loader and the repository views read from."""
from __future__ import annotations

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


def load_catalog(models_csv: str | Path, quality_csv: str | Path) -> list[Model]:
    """Read models.csv and quality.csv into models carrying their published scores."""
    return attach_quality(load_models(models_csv, VENDORS.keys()), load_quality(quality_csv), quality_csv)


def init_app(app: Flask, settings: Mapping[str, Any]) -> None:
    """Load the catalog (CatalogError on a bad file) into app.extensions["catalog"]."""
    app.extensions["catalog"] = InMemoryCatalog(load_catalog(settings["MODELS_CSV"], settings["QUALITY_CSV"]))
