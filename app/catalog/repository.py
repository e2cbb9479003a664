"""The narrow read interface views use, so a database can replace the CSV later."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from app.catalog.model import Model
from app.catalog.selection import NameIndex


class CatalogRepository(Protocol):
    def all(self) -> list[Model]: ...
    def by_provider(self, provider_key: str) -> list[Model]: ...
    def get(self, model_id: str) -> Model | None: ...
    def providers(self) -> list[str]: ...
    def named(self, names: Iterable[str]) -> list[Model]: ...


class InMemoryCatalog:
    """A catalog held in memory, loaded once per worker; models keep file order."""

    def __init__(self, models: Iterable[Model]):
        self._models = list(models)
        self._by_id = {model.id: model for model in self._models}
        self._by_provider: dict[str, list[Model]] = {}
        for model in self._models:
            self._by_provider.setdefault(model.provider, []).append(model)
        self._names = NameIndex(self._models)

    def all(self) -> list[Model]:
        return list(self._models)

    def by_provider(self, provider_key: str) -> list[Model]:
        return list(self._by_provider.get(provider_key, ()))

    def get(self, model_id: str) -> Model | None:
        return self._by_id.get(model_id)

    def providers(self) -> list[str]:
        return list(self._by_provider)

    def named(self, names: Iterable[str]) -> list[Model]:
        """Return every model whose id or model_name is one of names, in catalog order (UnknownNames)."""
        return self._names.models(names)
