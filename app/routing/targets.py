"""Which catalog models a send_prompt request means."""
from __future__ import annotations

from collections.abc import Sequence

from app.catalog import CatalogRepository, Model
from app.catalog.selection import UnknownNames, provider_keys


class TargetError(ValueError):
    """The request names no usable set of models; ``field`` is the request field to blame."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def choose_targets(catalog: CatalogRepository, model_names: Sequence[str] | None,
                   providers: Sequence[str] | None, max_models: int) -> list[Model]:
    """Return the models to call: named models (narrowed by providers) or providers' defaults."""
    if not model_names and not providers:
        raise TargetError("model_names", "Name at least one model in model_names, or a provider in providers.")
    try:
        keys = provider_keys(providers) if providers else None
    except UnknownNames as exc:
        raise TargetError("providers", f"Unknown provider(s): {exc}.") from None
    if model_names:
        try:
            chosen = catalog.named(model_names)
        except UnknownNames as exc:
            raise TargetError("model_names", f"Unknown model(s): {exc}.") from None
        if keys is not None:
            chosen = [model for model in chosen if model.provider in keys]
            if not chosen:
                raise TargetError("model_names", "None of the named models is offered by the named providers.")
    else:
        chosen = [model for key in keys for model in catalog.by_provider(key) if model.default]
        missing = [key for key in keys if not catalog.by_provider(key)]
        if missing:
            raise TargetError("providers", f"No catalog models for provider(s): {', '.join(missing)}.")
    batch = [model.id for model in chosen if model.estimate_only]
    if batch:
        raise TargetError("model_names", f"{', '.join(batch)}: estimate-only (an asynchronous batch API that "
                          "send_prompt cannot call); name the model without its batch suffix.")
    if len(chosen) > max_models:
        raise TargetError("model_names", f"{len(chosen)} models selected; at most {max_models} per request.")
    return chosen
