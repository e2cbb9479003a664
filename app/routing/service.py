"""send_prompt as a plain service: models in, one item per model out (no Flask here)."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from app.catalog import Model
from app.providers.base import Adapter, PromptRequest
from app.providers.errors import ProviderError
from app.providers.sessions import session_for
from app.providers.transport import DEFAULT_MAX_RESPONSE_BYTES, send
from app.vendors import VENDORS
from app.routing.answer_cache import AnswerCache
from app.routing.dispatch import Batch, Dispatcher, Outcome
from app.routing.items import cached_item, item
from app.routing.records import CallObserver, CallRecord, ignore
from app.tokens.counter import TokenCounter

log = logging.getLogger(__name__)
ANONYMOUS = "anonymous"   # the caller when authentication is off


@dataclass(frozen=True)
class CallLimits:
    deadline_s: float          # PROVIDER_TIMEOUT: the most any request may wait
    connect_timeout_s: float
    max_retries: int
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES   # PROVIDER_MAX_RESPONSE_BYTES


@dataclass
class _Plan:
    """One request's work: which models to call, what the cache already holds, the counts."""

    models: Sequence[Model]
    requests: list[PromptRequest]
    estimates: list[int]
    cached: dict[int, dict[str, Any]]   # model index -> the cached answer's item
    pending: list[int]                  # model indexes to call, in batch order
    started: float
    deadline: float
    use_cache: bool
    caller: str                         # whose answer cache: the principal, or ANONYMOUS
    request_id: str | None


class PromptRouter:
    """Send one prompt to many models at once and price what each vendor reports."""

    def __init__(self, adapters: Mapping[str, Adapter], tokens: TokenCounter, dispatcher: Dispatcher,
                 limits: CallLimits, observer: CallObserver = ignore, cache: AnswerCache | None = None):
        self._adapters = adapters          # vendor key -> adapter (NotConfiguredAdapter without credentials)
        self._tokens = tokens
        self._dispatcher = dispatcher
        self._limits = limits
        self._observer = observer
        self._cache = cache

    def run(self, models: Sequence[Model], prompt: PromptRequest, timeout_s: float | None = None, *,
            use_cache: bool = False, caller: str = ANONYMOUS, request_id: str | None = None) -> dict[str, Any]:
        """Call every model concurrently; return the JSON response envelope."""
        plan = self._plan(models, prompt, timeout_s, use_cache, caller, request_id)
        batch = self._start(plan, inline=True)   # one call runs in this thread; more fan out
        outcomes = dict(zip(plan.pending, batch.results())) if batch else {}
        data = [plan.cached.get(i) or self._finish(plan, i, outcomes[i]) for i in range(len(models))]
        return {"success": True, "count": len(data), "data": data, **_totals(data, plan.started)}

    def stream(self, models: Sequence[Model], prompt: PromptRequest, timeout_s: float | None = None, *,
               use_cache: bool = False, caller: str = ANONYMOUS, request_id: str | None = None,
               heartbeat_s: float = 1.0) -> Iterator[tuple[str, dict[str, Any] | None]]:
        """Start every call now (PoolSaturated is raised here, before any event), and return the
        events: ("result", item) as each model finishes, ("heartbeat", None) while waiting, then
        ("done", totals). Closing the events early cancels what has not finished."""
        plan = self._plan(models, prompt, timeout_s, use_cache, caller, request_id)
        batch = self._start(plan)
        return self._events(plan, batch, heartbeat_s)

    def _events(self, plan: _Plan, batch: Batch | None,
                heartbeat_s: float) -> Iterator[tuple[str, dict[str, Any] | None]]:
        data, taken = list(plan.cached.values()), set()
        try:
            for cached in data:
                yield "result", cached
            for event in (batch.as_completed(heartbeat_s) if batch else ()):
                if event is None:
                    yield "heartbeat", None
                    continue
                position, outcome = event
                taken.add(position)
                data.append(self._finish(plan, plan.pending[position], outcome))
                yield "result", data[-1]
            yield "done", {"count": len(data), **_totals(data, plan.started)}
        finally:
            if batch:
                batch.cancel()   # the client went away (or all is done): stop what is left
                # Calls the client no longer waits for are still counted and logged, as they end.
                batch.settle(taken, lambda position, outcome: self._finish(plan, plan.pending[position], outcome))

    def _plan(self, models: Sequence[Model], prompt: PromptRequest, timeout_s: float | None, use_cache: bool,
              caller: str, request_id: str | None) -> _Plan:
        started = time.monotonic()
        budget = min(timeout_s or self._limits.deadline_s, self._limits.deadline_s)
        counts = self._tokens.count(prompt.prompt, {m.tokenizer for m in models}, system=prompt.system or "")
        requests = [self._request(model, prompt) for model in models]
        estimates = [counts[model.tokenizer].count for model in models]
        cached = {}
        if use_cache and self._cache is not None:
            for index, (model, request) in enumerate(zip(models, requests)):
                hit = self._cache.get(model.provider, request, caller)
                if hit is not None:
                    cached[index] = cached_item(hit, estimates[index])
        pending = [index for index in range(len(models)) if index not in cached]
        return _Plan(models, requests, estimates, cached, pending, started, started + budget,
                     use_cache, caller, request_id)

    def _start(self, plan: _Plan, inline: bool = False) -> Batch | None:
        if not plan.pending:
            return None
        calls = [(plan.models[i].provider, self._call(plan.models[i], plan.requests[i])) for i in plan.pending]
        return self._dispatcher.start(calls, plan.deadline, inline=inline)

    def _finish(self, plan: _Plan, index: int, outcome: Outcome) -> dict[str, Any]:
        model = plan.models[index]
        try:
            result = self._item(plan, index, outcome)
        except Exception:   # a bug must cost one item, not the response (nor cut a stream)
            log.exception("building the item for %s failed", model.id)
            error = ProviderError("internal error while reading the answer", vendor=model.provider)
            outcome = Outcome(None, error, outcome.latency_ms)
            result = self._item(plan, index, outcome)
        self._observer(_record(plan.request_id, model, outcome, result))
        if plan.use_cache and self._cache is not None and result["success"]:
            self._cache.set(model.provider, plan.requests[index], plan.caller, result)
        return result

    def _item(self, plan: _Plan, index: int, outcome: Outcome) -> dict[str, Any]:
        model = plan.models[index]
        tokenizer = model.tokenizer

        def count_text(text: str) -> int:
            return self._tokens.count(text, {tokenizer})[tokenizer].count

        return item(model, VENDORS[model.provider].name, outcome, plan.estimates[index], count_text)

    def _call(self, model: Model, request: PromptRequest):
        return partial(self._send, self._adapters[model.provider], request, model.provider)

    def _send(self, adapter: Adapter, request: PromptRequest, vendor_key: str, deadline: float,
              cancel: threading.Event):
        return send(adapter, request, session_for(vendor_key), deadline=deadline,
                    connect_timeout=self._limits.connect_timeout_s, max_retries=self._limits.max_retries,
                    cancel=cancel, max_response_bytes=self._limits.max_response_bytes)

    def _request(self, model: Model, prompt: PromptRequest) -> PromptRequest:
        return replace(prompt, model=self._adapters[model.provider].api_model(model),
                       max_tokens=min(prompt.max_tokens, model.max_output_tokens))


def _totals(data: list[dict[str, Any]], started: float) -> dict[str, float]:
    return {"total_cost": sum(entry["actual_cost"] for entry in data),
            "wall_ms": round((time.monotonic() - started) * 1000, 1)}


def _record(request_id: str | None, model: Model, outcome: Outcome, result: dict[str, Any]) -> CallRecord:
    error = outcome.error
    return CallRecord(request_id=request_id, provider=model.provider, model=model.id,
                      outcome=error.kind if error else "ok", status=error.status if error else None,
                      latency_ms=outcome.latency_ms, retries=outcome.retries,
                      input_tokens=result["input_tokens"] or 0, output_tokens=result["output_tokens"] or 0,
                      cost_usd=result["actual_cost"], cost_basis=result["cost_basis"])
