"""Turn user-supplied provider and model names into catalog keys and ids."""
from __future__ import annotations

from collections.abc import Iterable

from app.catalog.model import Model
from app.vendors import find_vendor


class UnknownNames(ValueError):
    """Some names match nothing; ``names`` lists them in the order given."""

    def __init__(self, names: list[str]):
        super().__init__(", ".join(names))
        self.names = names


def provider_keys(names: Iterable[str]) -> list[str]:
    """Return the vendor keys the names mean, in order, or raise UnknownNames."""
    vendors = [(name, find_vendor(name)) for name in names]
    unknown = [name for name, vendor in vendors if vendor is None]
    if unknown:
        raise UnknownNames(unknown)
    return list(dict.fromkeys(vendor.key for _, vendor in vendors))


class NameIndex:
    """Catalog models by id and by model_name, built once per worker."""

    def __init__(self, models: Iterable[Model]):
        self._models = list(models)
        self._positions = {model.id: position for position, model in enumerate(self._models)}
        self._index: dict[str, list[Model]] = {}
        for model in self._models:
            self._index.setdefault(model.id, []).append(model)
            if model.model_name != model.id:
                self._index.setdefault(model.model_name, []).append(model)

    def models(self, names: Iterable[str]) -> list[Model]:
        """Return every model whose id or model_name equals a name, in catalog order."""
        wanted = list(dict.fromkeys(names))
        unknown = [name for name in wanted if name not in self._index]
        if unknown:
            raise UnknownNames(unknown)
        chosen = {model.id: model for name in wanted for model in self._index[name]}
        return sorted(chosen.values(), key=lambda model: self._positions[model.id])
