"""send_prompt as a plain service: targets in, one item per model out (no Flask here)."""
from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from app.catalog import Model
from app.pricing.cost import price_request
from app.providers.base import Adapter, PromptRequest
from app.providers.errors import ProviderNotConfigured
from app.providers.registry import how_to_configure
from app.providers.sessions import session_for
from app.providers.transport import send
from app.providers.vendors import VENDORS
from app.routing.dispatch import Dispatcher, Outcome
from app.tokens.counter import TokenCounter


@dataclass(frozen=True)
class Prompt:
    text: str
    system: str | None
    max_tokens: int
    temperature: float | None


@dataclass(frozen=True)
class CallLimits:
    deadline_s: float          # PROVIDER_TIMEOUT: the most any request may wait
    connect_timeout_s: float
    max_retries: int


class PromptRouter:
    """Send one prompt to many models at once and price what each vendor reports."""

    def __init__(self, adapters: Mapping[str, Adapter], deployments: Mapping[str, str],
                 tokens: TokenCounter, dispatcher: Dispatcher, limits: CallLimits):
        self._adapters = adapters          # vendor key -> adapter, configured vendors only
        self._deployments = deployments    # Azure: model_name -> deployment
        self._tokens = tokens
        self._dispatcher = dispatcher
        self._limits = limits

    def run(self, models: Sequence[Model], prompt: Prompt, timeout_s: float | None) -> dict[str, Any]:
        """Call every model concurrently; return the response envelope."""
        started = time.monotonic()
        budget = min(timeout_s or self._limits.deadline_s, self._limits.deadline_s)
        counts = self._tokens.count(prompt.text, {m.tokenizer for m in models}, system=prompt.system or "")
        calls = [(model.provider, self._call(model, prompt)) for model in models]
        outcomes = self._dispatcher.run(calls, started + budget)
        data = [_item(model, outcome, counts[model.tokenizer].count) for model, outcome in zip(models, outcomes)]
        return {"success": True, "count": len(data), "data": data,
                "total_cost": sum(item["actual_cost"] for item in data),
                "wall_ms": round((time.monotonic() - started) * 1000, 1)}

    def _call(self, model: Model, prompt: Prompt):
        adapter = self._adapters.get(model.provider)
        if adapter is None:
            return partial(_not_configured, model.provider)
        request = PromptRequest(model=self._api_model(model), prompt=prompt.text, system=prompt.system,
                                max_tokens=min(prompt.max_tokens, model.max_output_tokens),
                                temperature=prompt.temperature)
        return partial(self._send, adapter, request, model.provider)

    def _send(self, adapter: Adapter, request: PromptRequest, vendor_key: str, deadline: float):
        return send(adapter, request, session_for(vendor_key), deadline=deadline,
                    connect_timeout=self._limits.connect_timeout_s, max_retries=self._limits.max_retries)

    def _api_model(self, model: Model) -> str:
        if VENDORS[model.provider].api == "azure":
            return self._deployments.get(model.model_name, model.api_model)
        return model.api_model


def _not_configured(vendor_key: str, deadline: float):
    vendor = VENDORS[vendor_key]
    raise ProviderNotConfigured(f"{vendor.name} is not configured: {how_to_configure(vendor)}.",
                                vendor=vendor_key)


def _item(model: Model, outcome: Outcome, estimated: int) -> dict[str, Any]:
    completion, usage = outcome.completion, outcome.completion.usage if outcome.completion else None
    return {
        "id": model.id,
        "model_name": model.model_name,
        "provider": VENDORS[model.provider].name,
        "success": completion is not None,
        "response": completion.text if completion else None,
        "finish_reason": completion.finish_reason if completion else None,
        "error": outcome.error.to_dict() if outcome.error else None,
        "latency_ms": outcome.latency_ms,
        "input_tokens": usage.input_tokens if usage else None,
        "output_tokens": usage.output_tokens if usage else None,
        "cached_tokens": usage.cached_tokens if usage else None,
        "reasoning_tokens": usage.reasoning_tokens if usage else None,
        "actual_cost": price_request(model, usage.input_tokens, usage.output_tokens,
                                     usage.cached_tokens).total_cost if usage else 0.0,
        "estimated_input_tokens": estimated,
    }
