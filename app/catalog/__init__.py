"""The model catalog: rows, the CSV loader and the repository views read from."""
from app.catalog.csv_loader import CatalogError, load_models
from app.catalog.model import Model
from app.catalog.repository import CatalogRepository, InMemoryCatalog

__all__ = ["CatalogError", "CatalogRepository", "InMemoryCatalog", "Model", "load_models"]
