"""The send_prompt item: one model's answer, usage, cost and error, as the API shows it."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.catalog import Model
from app.pricing.cost import price_request
from app.providers.base import Completion
from app.pricing.ranking import iso_moment
from app.routing.dispatch import Outcome
from app.routing.usage import BILLED, broken_off_usage, settled_usage


def item(model: Model, provider_name: str, outcome: Outcome, estimated_input_tokens: int,
         count_text: Callable[[str], int], max_tokens: int,
         predicted_output: dict[str, int] | None = None) -> dict[str, Any]:
    """Build the item for one call: the seed's fields first, then usage, cost and error.

    ``count_text`` counts the answer's tokens when the vendor's own usage is missing or implausible
    (output above ``max_tokens``, the effective limit the vendor was sent, is implausible);
    ``predicted_output`` is the output prediction in force for this call (app/forecast), or None.
    """
    completion = outcome.completion
    text = json_safe(completion.text) if completion else None
    partial = outcome.error.partial if outcome.error else None
    usage, basis = (settled_usage(model, completion.usage, every_text(completion), estimated_input_tokens,
                                  count_text, max_tokens, 1 + len(completion.more)) if completion
                    else broken_off_usage(model, partial.usage, every_text(partial), estimated_input_tokens,
                                          count_text, max_tokens, 1 + len(partial.more))
                    if partial else (None, None))
    error = {**outcome.error.to_dict(), "budget_remaining": None} if outcome.error else None
    if error:
        error["message"] = json_safe(error["message"])
    result = {
        "id": model.id,
        "model_name": model.model_name,
        "provider": provider_name,
        "success": completion is not None,
        "response": text,
        "finish_reason": json_safe(completion.finish_reason) if completion else None,
        "error": error,
        "latency_ms": outcome.latency_ms,
        "input_tokens": usage.input_tokens if usage else None,
        "output_tokens": usage.output_tokens if usage else None,
        "cached_tokens": usage.cached_tokens if usage else None,
        "reasoning_tokens": usage.reasoning_tokens if usage else None,
        # At catalog prices: cached input at the cached price, the long-context tier when the
        # input passes the threshold. Failed items cost 0, but for a stream that broke off
        # after tokens: those are likely billed (cost_basis "estimated").
        "actual_cost": price_request(model, usage.input_tokens, usage.output_tokens,
                                     min(usage.cached_tokens, usage.input_tokens)).total_cost if usage else 0.0,
        "estimated_input_tokens": estimated_input_tokens,
        "cached": False,
        "usage_reported": basis == BILLED,
        "cost_basis": basis,
        "predicted_output": predicted_output,
        **price_window(model),
        "recorded": False,   # set once the ledger row is committed (app/spend)
    }
    if completion is not None and completion.service_tier is not None:
        # Only OpenAI reports a tier, and only /v1 asks for one: the cost above is at that tier's prices.
        result["service_tier"] = completion.service_tier
    if completion is not None and completion.tool_calls:
        # Only /v1 offers tools, so send_prompt's items never hold this key; the gateway reads it.
        result["tool_calls"] = [dict(call) for call in completion.tool_calls]
    if completion is not None:
        result.update(choice_fields(completion))
    return result


def every_text(completion: Completion) -> str:
    """The text of every choice (n > 1: the vendor bills them all), for counting when usage is missing."""
    return "".join([completion.text, *(choice.text for choice in completion.more)])


def choice_fields(completion: Completion) -> dict[str, Any]:
    """What only a /v1 request asks for (send_prompt's items never hold these keys): ``logprobs`` of
    the first choice, and ``choices``, the others of an n > 1 request, each as OpenAI's choice."""
    fields: dict[str, Any] = {}
    if completion.logprobs is not None:
        fields["logprobs"] = completion.logprobs
    if completion.more:
        fields["choices"] = [{"text": json_safe(c.text), "finish_reason": json_safe(c.finish_reason),
                              "tool_calls": [dict(call) for call in c.tool_calls], "logprobs": c.logprobs}
                             for c in completion.more]
    return fields


def cached_item(stored: dict[str, Any], estimated_input_tokens: int, model: Model) -> dict[str, Any]:
    """Return a stored answer as this request's item: nothing was billed, nothing waited for."""
    return {**stored, "cached": True, "actual_cost": 0.0, "latency_ms": 0.0,
            "estimated_input_tokens": estimated_input_tokens, "predicted_output": None, **price_window(model),
            "recorded": False}


def refused_item(model: Model, provider_name: str, estimated_input_tokens: int, remaining: float,
                 message: str) -> dict[str, Any]:
    """Return the item of a call its caller's budget could not hold: not made, cost 0."""
    error = {"type": "budget_exceeded", "message": message, "status": None, "retryable": False,
             "retry_after": None, "budget_remaining": remaining}
    return {"id": model.id, "model_name": model.model_name, "provider": provider_name, "success": False,
            "response": None, "finish_reason": None, "error": error, "latency_ms": 0.0,
            "input_tokens": None, "output_tokens": None, "cached_tokens": None, "reasoning_tokens": None,
            "actual_cost": 0.0, "estimated_input_tokens": estimated_input_tokens, "cached": False,
            "usage_reported": False, "cost_basis": None, "predicted_output": None, **price_window(model),
            "recorded": False}


def price_window(model: Model) -> dict[str, Any]:
    """The price window the call is priced in (the one in force at its start) and when that price changes."""
    return {"price_window": model.price_window, "price_changes_at": iso_moment(model.price_changes_at)}


def json_safe(text: str | None) -> str | None:
    """Replace lone surrogates (a vendor's "\\ud800" decodes to one) that no JSON encoder can write."""
    if text is None:
        return None
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
