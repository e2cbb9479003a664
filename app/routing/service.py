"""send_prompt as a plain service: models in, one item per model out (no Flask here)."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from app.catalog import Model
from app.forecast.outlook import EMPTY, Forecast, Outlook
from app.providers.base import Adapter, PromptRequest
from app.providers.errors import ProviderError
from app.providers.sessions import session_for
from app.providers.transport import DEFAULT_MAX_RESPONSE_BYTES, send
from app.vendors import VENDORS
from app.routing.answer_cache import AnswerCache
from app.routing.dispatch import Batch, Dispatcher, Outcome, PoolSaturated
from app.routing.items import cached_item, item, refused_item
from app.routing.records import CallObserver, CallRecord, ignore
from app.spend.accountant import Accountant, Planned, Tab
from app.tokens.counter import BASE_ENCODING, TokenCounter
from app.tokens.encodings import SPECS

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
    predicted: list[dict[str, int] | None]   # each model's output prediction in force (recorded with the call)
    early: dict[int, dict[str, Any]]    # model index -> its item before any call: cached, or refused by budget
    pending: list[int]                  # model indexes to call, in batch order
    started: float
    deadline: float
    use_cache: bool
    caller: str                         # whose answer cache: the principal, or ANONYMOUS
    request_id: str | None
    tab: Tab | None = None              # the request's budget holds and ledger records


class PromptRouter:
    """Send one prompt to many models at once and price what each vendor reports."""

    def __init__(self, adapters: Mapping[str, Adapter], tokens: TokenCounter, dispatcher: Dispatcher,
                 limits: CallLimits, observer: CallObserver = ignore, cache: AnswerCache | None = None,
                 accountant: Accountant | None = None, outlook: Callable[[], Outlook] = lambda: EMPTY):
        self._adapters = adapters          # vendor key -> adapter (NotConfiguredAdapter without credentials)
        self._tokens = tokens
        self._dispatcher = dispatcher
        self._limits = limits
        self._observer = observer
        self._cache = cache
        self._accountant = accountant      # budgets and the ledger (app/spend); None records nothing
        self._outlook = outlook            # the current output forecasts (app/forecast)

    def run(self, models: Sequence[Model], prompt: PromptRequest, timeout_s: float | None = None, *,
            use_cache: bool = False, caller: str = ANONYMOUS, request_id: str | None = None,
            claim: Any = None) -> dict[str, Any]:
        """Call every model concurrently; record the items; return the JSON response envelope.

        ``claim``: the request's Idempotency-Key claim; its answer is stored with the records.
        """
        plan = self._plan(models, prompt, timeout_s, use_cache, caller, request_id, claim)
        batch = self._start(plan, inline=True)   # one call runs in this thread; more fan out
        outcomes = dict(zip(plan.pending, batch.results())) if batch else {}
        data = [plan.early.get(i) or self._finish(plan, i, outcomes[i]) for i in range(len(models))]
        envelope = {"success": True, "count": len(data), "data": data, **_totals(data, plan.started)}
        self._record(plan, list(enumerate(data)), envelope)   # one transaction, before the answer leaves
        return envelope

    def stream(self, models: Sequence[Model], prompt: PromptRequest, timeout_s: float | None = None, *,
               use_cache: bool = False, caller: str = ANONYMOUS, request_id: str | None = None,
               claim: Any = None, heartbeat_s: float = 1.0) -> Iterator[tuple[str, dict[str, Any] | None]]:
        """Start every call now (PoolSaturated, and the spend errors, are raised here, before any
        event), and return the events: ("result", item) as each model finishes, each recorded
        first, ("heartbeat", None) while waiting, then ("done", totals). Closing the events early
        cancels what has not finished."""
        plan = self._plan(models, prompt, timeout_s, use_cache, caller, request_id, claim)
        batch = self._start(plan)
        return self._events(plan, batch, heartbeat_s)

    def _events(self, plan: _Plan, batch: Batch | None,
                heartbeat_s: float) -> Iterator[tuple[str, dict[str, Any] | None]]:
        early = sorted(plan.early.items())
        data, taken = [entry for _, entry in early], set()
        try:
            self._record(plan, early)
            for known in data:
                yield "result", known
            for event in (batch.as_completed(heartbeat_s) if batch else ()):
                if event is None:
                    yield "heartbeat", None
                    continue
                position, outcome = event
                taken.add(position)
                index = plan.pending[position]
                data.append(self._finish(plan, index, outcome))
                self._record(plan, [(index, data[-1])])
                yield "result", data[-1]
            totals = {"count": len(data), **_totals(data, plan.started)}
            if plan.tab is not None and plan.tab.claim is not None:
                self._record(plan, [], {"success": True, "data": data, **totals})
            yield "done", totals
        finally:
            if batch:
                batch.cancel()   # the client went away (or all is done): stop what is left
                # Calls the client no longer waits for are still counted, logged and recorded, as they end.
                batch.settle(taken, lambda position, outcome: self._late(plan, plan.pending[position], outcome))

    def _late(self, plan: _Plan, index: int, outcome: Outcome) -> None:
        self._record(plan, [(index, self._finish(plan, index, outcome))])

    def _record(self, plan: _Plan, entries: list[tuple[int, dict[str, Any]]],
                envelope: dict[str, Any] | None = None) -> None:
        """Commit the items' ledger rows (each item's ``recorded`` says whether that worked)."""
        if plan.tab is not None and (entries or envelope is not None):
            plan.tab.record([(index, plan.models[index], entry) for index, entry in entries], envelope)

    def _plan(self, models: Sequence[Model], prompt: PromptRequest, timeout_s: float | None, use_cache: bool,
              caller: str, request_id: str | None, claim: Any = None) -> _Plan:
        started = time.monotonic()
        budget = min(timeout_s or self._limits.deadline_s, self._limits.deadline_s)
        tokenizers = {m.tokenizer for m in models}
        if not tokenizers <= SPECS.keys():
            tokenizers.add(BASE_ENCODING)   # a family estimate counts it anyway: kept to calibrate the family
        counts = self._tokens.count(prompt.prompt, tokenizers, system=prompt.system or "")
        requests = [self._request(model, prompt) for model in models]
        estimates = [counts[model.tokenizer].count for model in models]
        outlook = self._outlook()
        predicted = [_predicted(outlook.forecast(model.id, estimate)) for model, estimate in zip(models, estimates)]
        early = {}
        if use_cache and self._cache is not None:
            for index, (model, request) in enumerate(zip(models, requests)):
                hit = self._cache.get(model.provider, request, caller)
                if hit is not None:
                    early[index] = cached_item(hit, estimates[index])
        tab = None
        if self._accountant is not None:
            # Hold each call's worst case against the caller's budget (SpendUnavailable, before any call).
            tab = self._accountant.open(caller, request_id, [
                Planned(index, models[index], requests[index].max_tokens, counts[models[index].tokenizer])
                for index in range(len(models)) if index not in early], claim)
            base = counts.get(BASE_ENCODING)
            tab.base_input_tokens = base.count if base is not None and base.exact else None
            for index, refusal in tab.refused.items():
                early[index] = refused_item(models[index], VENDORS[models[index].provider].name, estimates[index],
                                            float(refusal.remaining), refusal.message())
        pending = [index for index in range(len(models)) if index not in early]
        plan = _Plan(models, requests, estimates, predicted, early, pending, started, started + budget,
                     use_cache, caller, request_id, tab)
        if tab is not None and len(tab.refused) == len(models):
            self._record(plan, sorted(early.items()))   # refusals are ledger rows too
            raise tab.refusal_error()
        return plan

    def _start(self, plan: _Plan, inline: bool = False) -> Batch | None:
        if not plan.pending:
            return None
        calls = [(plan.models[i].provider, self._call(plan.models[i], plan.requests[i])) for i in plan.pending]
        try:
            return self._dispatcher.start(calls, plan.deadline, inline=inline)
        except PoolSaturated:
            if plan.tab is not None:
                plan.tab.release()   # no call was made: give the holds back
            raise

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

        return item(model, VENDORS[model.provider].name, outcome, plan.estimates[index], count_text,
                    plan.predicted[index])

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


def _predicted(forecast: Forecast | None) -> dict[str, int] | None:
    if forecast is None or forecast.tokens is None:
        return None
    return {"tokens": forecast.tokens, "low": forecast.low, "high": forecast.high, "samples": forecast.samples}


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
