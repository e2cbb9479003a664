"""One ledger row per send_prompt item: who, which model and price, tokens, exact cost; never text."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from app.catalog import Model
from app.pricing.cost import exact_cost
from app.spend.money import ZERO, to_money

OK, CACHE_HIT, REFUSED, TIMEOUT, CANCELLED, FAILED = "ok", "cache_hit", "refused", "timeout", "cancelled", "failed"
BUDGET_EXCEEDED = "budget_exceeded"
_OUTCOME_OF_ERROR = {"timeout": TIMEOUT, "cancelled": CANCELLED, BUDGET_EXCEEDED: REFUSED}


def outcome(item: dict[str, Any]) -> str:
    """ok, cache_hit, refused (budget), timeout, cancelled or failed."""
    if item["cached"]:
        return CACHE_HIT
    if item["success"]:
        return OK
    return _OUTCOME_OF_ERROR.get(item["error"]["type"], FAILED)


def cost(model: Model, item: dict[str, Any]) -> Decimal:
    """What the call cost at the model's prices, exactly: 0 for a cache hit or a failure (but a
    stream that broke off after tokens, whose tokens the item carries, costs those)."""
    if item["cached"] or item["cost_basis"] is None:
        return ZERO
    inputs = item["input_tokens"]
    return to_money(exact_cost(model, inputs, item["output_tokens"], min(item["cached_tokens"], inputs)))


def ledger_row(model: Model, item: dict[str, Any], *, at: datetime, request_id: str | None,
               principal: str, base_input_tokens: int | None = None) -> dict[str, Any]:
    """The ledger columns for one item (billed tokens: 0 for a cache hit, None when unknown), with
    the prompt's o200k count and the output prediction in force (app/forecast)."""
    kind = outcome(item)
    predicted = item.get("predicted_output") or {}
    billed = kind == OK or (kind != CACHE_HIT and item["cost_basis"] is not None)   # ok, or broken off
    tokens = {name: (item[name] if billed else 0 if kind == CACHE_HIT else None)
              for name in ("input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens")}
    return {
        "created_at": at, "request_id": (request_id or "")[:64], "principal": principal[:128],
        "model_id": model.id, "provider": model.provider,
        # The catalog's price version once it is served from the database; None until then.
        "price_version_id": getattr(model, "price_version_id", None),
        "estimated_input_tokens": item["estimated_input_tokens"], **tokens,
        "cost": cost(model, item), "cost_basis": item["cost_basis"] if billed else None,
        "latency_ms": round(item["latency_ms"]), "outcome": kind,
        "error_type": item["error"]["type"] if item["error"] else None,
        "base_input_tokens": base_input_tokens,
        "predicted_output_tokens": predicted.get("tokens"),
        "predicted_output_low": predicted.get("low"),
        "predicted_output_high": predicted.get("high"),
    }
