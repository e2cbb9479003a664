"""Routing: send_prompt's blueprint over a plain fan-out service (PromptRouter)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask

from app.catalog import Model
from app.forecast.outlook import EMPTY
from app.observability.calls import observe_call
from app.providers.registry import adapter_for
from app.routing.answer_cache import answer_cache
from app.routing.capacity import StreamSlots, streams_per_worker
from app.routing.dispatch import Dispatcher
from app.routing.service import CallLimits, PromptRouter
from app.vendors import VENDORS


def tier_pricer(pricing: Any) -> Callable[[Model, str], Model | None]:
    """A model priced at a service tier now (service_tiers.csv via the pricing extension), None without it."""
    def at_tier(model: Model, tier: str) -> Model | None:
        if pricing is None:
            return None
        priced, _ = pricing.tiers.price([model], tier, pricing.now())
        return priced[0] if priced else None
    return at_tier


def init_app(app: Flask, settings: Mapping[str, Any]) -> None:
    """Build the router (an adapter per vendor, the pool, the answer cache, the accountant); register the blueprint."""
    from app.routing.views import bp

    credentials = app.extensions["credentials"]
    adapters = {key: adapter_for(vendor, credentials.settings(key)) for key, vendor in VENDORS.items()}
    limits = CallLimits(deadline_s=settings["PROVIDER_TIMEOUT"],
                        connect_timeout_s=settings["PROVIDER_CONNECT_TIMEOUT"],
                        max_retries=settings["PROVIDER_MAX_RETRIES"],
                        max_response_bytes=settings["PROVIDER_MAX_RESPONSE_BYTES"],
                        stream_idle_s=settings["STREAM_IDLE_TIMEOUT"], stream_max_s=settings["STREAM_MAX_DURATION"])
    dispatcher = Dispatcher(settings["PROVIDER_POOL_SIZE"], settings["PROVIDER_MAX_CONCURRENCY"])
    spend = app.extensions.get("spend")   # budgets and the ledger (app/spend), built before routing
    forecast = app.extensions.get("forecast")   # output predictions (app/forecast), built before routing
    app.extensions["routing"] = PromptRouter(adapters, app.extensions["tokens"], dispatcher, limits,
                                             observer=observe_call, cache=answer_cache(app, settings),
                                             accountant=spend.accountant if spend else None,
                                             slots=StreamSlots(streams_per_worker(settings)),
                                             outlook=(lambda: forecast.current) if forecast else lambda: EMPTY,
                                             at_tier=tier_pricer(app.extensions.get("pricing")))
    app.register_blueprint(bp)
