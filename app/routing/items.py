"""The send_prompt item: one model's answer, usage, cost and error, as the API shows it."""
from __future__ import annotations

from typing import Any

from app.catalog import Model
from app.pricing.cost import price_request
from app.routing.dispatch import Outcome


def item(model: Model, provider_name: str, outcome: Outcome, estimated_input_tokens: int) -> dict[str, Any]:
    """Build the item for one call: the seed's fields first, then usage, cost and error."""
    completion = outcome.completion
    usage = completion.usage if completion else None
    return {
        "id": model.id,
        "model_name": model.model_name,
        "provider": provider_name,
        "success": completion is not None,
        "response": completion.text if completion else None,
        "finish_reason": completion.finish_reason if completion else None,
        "error": outcome.error.to_dict() if outcome.error else None,
        "latency_ms": outcome.latency_ms,
        "input_tokens": usage.input_tokens if usage else None,
        "output_tokens": usage.output_tokens if usage else None,
        "cached_tokens": usage.cached_tokens if usage else None,
        "reasoning_tokens": usage.reasoning_tokens if usage else None,
        # What the vendor billed, at catalog prices: cached input at the cached price,
        # the long-context tier when the input passes the threshold.
        "actual_cost": price_request(model, usage.input_tokens, usage.output_tokens,
                                     min(usage.cached_tokens, usage.input_tokens)).total_cost if usage else 0.0,
        "estimated_input_tokens": estimated_input_tokens,
        "cached": False,
    }


def cached_item(stored: dict[str, Any], estimated_input_tokens: int) -> dict[str, Any]:
    """Return a stored answer as this request's item: nothing was billed, nothing waited for."""
    return {**stored, "cached": True, "actual_cost": 0.0, "latency_ms": 0.0,
            "estimated_input_tokens": estimated_input_tokens}
