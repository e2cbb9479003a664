"""OpenAI's wire format for what the router produced: chat.completion objects (model lists: listing.py)."""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from app.gateway.fallback import Attempt
from app.pricing.ranking import iso_moment
from app.spend.money import usd

# Each dialect's finish reasons in OpenAI's terms (the raw values differ across dialects).
FINISH_REASONS = {
    "stop": "stop", "length": "length", "content_filter": "content_filter", "tool_calls": "tool_calls",
    "end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "refusal": "content_filter",
    "STOP": "stop", "MAX_TOKENS": "length", "SAFETY": "content_filter", "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter", "PROHIBITED_CONTENT": "content_filter", "SPII": "content_filter",
    "content_filtered": "content_filter", "guardrail_intervened": "content_filter", "tool_use": "tool_calls",
}
MODEL_HEADER, COST_HEADER = "X-Price-Runner-Model", "X-Price-Runner-Cost"


def finish_reason(raw: str | None) -> str:
    """OpenAI's finish_reason for a vendor's (blocked prompts are content_filter; unknown ones stop)."""
    if raw and raw.startswith("BLOCKED_"):
        return "content_filter"
    return FINISH_REASONS.get(raw or "", "stop")


def cost_of(attempts: Sequence[Attempt]) -> Decimal:
    """What every attempt of the request cost, exactly (each item's cost is a float at the JSON edge)."""
    return sum((Decimal(str(a.item["actual_cost"])) for a in attempts), Decimal(0))


def price_runner(attempts: Sequence[Attempt]) -> dict[str, Any]:
    """The ``price_runner`` object: the model that served (the last attempt), the cost, every attempt."""
    last = attempts[-1]
    return {"model": last.candidate.model.id, "provider": last.candidate.model.provider,
            "cost": float(cost_of(attempts)), "estimated_cost": last.candidate.estimated_cost,
            "attempts": [{"model": a.candidate.model.id, "provider": a.candidate.model.provider,
                          "error": _error(a.item["error"]), "cost": a.item["actual_cost"]} for a in attempts],
            "price_window": last.candidate.model.price_window,
            "price_changes_at": iso_moment(last.candidate.model.price_changes_at)}


def completion(attempts: Sequence[Attempt], completion_id: str, created: int) -> dict[str, Any]:
    """The chat.completion object of a request whose last attempt succeeded."""
    item = attempts[-1].item
    first = {"response": item["response"], "finish_reason": item["finish_reason"],
             "tool_calls": item.get("tool_calls"), "logprobs": item.get("logprobs")}
    others = [{**other, "response": other["text"]} for other in item.get("choices") or ()]
    reply = {"id": completion_id, "object": "chat.completion", "created": created,
             "model": attempts[-1].candidate.model.id,
             "choices": [choice(index, one) for index, one in enumerate([first, *others])],
             "usage": usage(item), "system_fingerprint": None, "price_runner": price_runner(attempts)}
    if item.get("service_tier") is not None:
        reply["service_tier"] = item["service_tier"]   # as the vendor reported it; the cost is at its prices
    return reply


def choice(index: int, answer: dict[str, Any]) -> dict[str, Any]:
    """One choice: the message, its log probabilities (when asked for) and OpenAI's finish_reason."""
    finish = "tool_calls" if answer.get("tool_calls") else finish_reason(answer["finish_reason"])
    return {"index": index, "message": message(answer), "logprobs": answer.get("logprobs"), "finish_reason": finish}


def usage(item: dict[str, Any]) -> dict[str, Any]:
    """OpenAI's usage object for a send_prompt item that succeeded."""
    return {"prompt_tokens": item["input_tokens"], "completion_tokens": item["output_tokens"],
            "total_tokens": item["input_tokens"] + item["output_tokens"],
            "prompt_tokens_details": {"cached_tokens": item["cached_tokens"]},
            "completion_tokens_details": {"reasoning_tokens": item["reasoning_tokens"]}}


def message(item: dict[str, Any]) -> dict[str, Any]:
    """The assistant message: its text, and the tool calls it made (content null when it only called tools)."""
    calls = item.get("tool_calls")
    if not calls:
        return {"role": "assistant", "content": item["response"], "refusal": None}
    return {"role": "assistant", "content": item["response"] or None, "refusal": None, "tool_calls": calls}


def headers(reply: dict[str, Any]) -> dict[str, str]:
    """X-Price-Runner-Model and X-Price-Runner-Cost for a reply (or an error) carrying price_runner."""
    served = reply.get("price_runner") or {}
    if not served:
        return {}
    return {MODEL_HEADER: served["model"], COST_HEADER: usd(Decimal(str(served["cost"])))}


def _error(error: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if error is None else {"type": error["type"], "message": error["message"],
                                       "status": error.get("status")}
