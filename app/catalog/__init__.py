"""The model catalog: rows, the CSV loader and the repository views read from."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from app.catalog.csv_loader import CatalogError, load_models
from app.catalog.model import Model
from app.catalog.repository import CatalogRepository, InMemoryCatalog
from app.vendors import VENDORS

__all__ = ["CatalogError", "CatalogRepository", "InMemoryCatalog", "Model", "init_app",
           "load_models"]


def init_app(app: Flask, settings: Mapping[str, Any]) -> None:
    """Load the catalog (CatalogError on a bad file) into app.extensions["catalog"]."""
    app.extensions["catalog"] = InMemoryCatalog(load_models(settings["MODELS_CSV"], VENDORS.keys()))
