"""send_prompt as a plain service: models in, one item per model out (no Flask here)."""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from app.agents import AgentParamError, registry
from app.agents.capabilities import PARAMS, unsupported
from app.catalog import Model
from app.forecast.outlook import EMPTY, Forecast, Outlook
from app.providers.base import Adapter, PromptRequest
from app.providers.errors import ProviderError
from app.providers.sessions import session_for
from app.providers.streaming import StreamLimits
from app.providers.transport import DEFAULT_MAX_RESPONSE_BYTES, send
from app.vendors import VENDORS
from app.routing.answer_cache import AnswerCache
from app.routing.capacity import StreamSlots
from app.routing.dispatch import Batch, Dispatcher, Outcome, PoolSaturated
from app.routing.items import cached_item, item, refused_item
from app.routing.records import CallObserver, CallRecord, ignore
from app.routing.streamed import Events, delta, put, stream_answer
from app.spend.accountant import Accountant, Planned, Tab
from app.tokens.counter import BASE_ENCODING, TokenCount, TokenCounter
from app.tokens.encodings import SPECS

log = logging.getLogger(__name__)
ANONYMOUS = "anonymous"   # the caller when authentication is off


@dataclass(frozen=True)
class CallLimits:
    deadline_s: float          # PROVIDER_TIMEOUT: the most any request may wait
    connect_timeout_s: float
    max_retries: int
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES   # PROVIDER_MAX_RESPONSE_BYTES
    stream_idle_s: float = 30.0        # STREAM_IDLE_TIMEOUT: the most between two chunks of an answer
    stream_max_s: float = 600.0        # STREAM_MAX_DURATION: the most one streamed answer may take


@dataclass
class _Plan:
    """One request's work: which models to call, what the cache already holds, the counts."""

    models: list[Model]                 # a model is replaced by its tier-priced copy once a vendor reports a tier
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
                 accountant: Accountant | None = None, slots: StreamSlots | None = None,
                 outlook: Callable[[], Outlook] = lambda: EMPTY,
                 at_tier: Callable[[Model, str], Model | None] = lambda model, tier: None):
        self._adapters = adapters          # vendor key -> adapter (NotConfiguredAdapter without credentials)
        self._tokens = tokens
        self._dispatcher = dispatcher
        self._limits = limits
        self._observer = observer
        self._cache = cache
        self._accountant = accountant      # budgets and the ledger (app/spend); None records nothing
        self.slots = slots or StreamSlots(1 << 30)   # the streams this worker may hold open (capacity.py)
        self._outlook = outlook            # the current output forecasts (app/forecast)
        self._at_tier = at_tier            # a model priced at a service tier now, None without that tier

    def outlook(self) -> Outlook:
        """The output predictions in force (app/forecast), for callers that rank before calling."""
        return self._outlook()

    def run(self, models: Sequence[Model], prompt: PromptRequest, timeout_s: float | None = None, *,
            use_cache: bool = False, caller: str = ANONYMOUS, request_id: str | None = None,
            claim: Any = None, answer: Callable[[dict[str, Any]], Any] | None = None) -> dict[str, Any]:
        """Call every model concurrently; record the items; return the JSON response envelope.

        ``claim``: the request's Idempotency-Key claim; its answer is stored with the records.
        ``answer``: what to store for the claim, made from the envelope (another API's reply,
        say); None from it stores nothing yet (a later call of the same request will).
        """
        plan = self._plan(models, prompt, timeout_s, use_cache, caller, request_id, claim)
        batch = self._start(plan, inline=True)   # one call runs in this thread; more fan out
        outcomes = dict(zip(plan.pending, batch.results())) if batch else {}
        data = [plan.early.get(i) or self._finish(plan, i, outcomes[i]) for i in range(len(models))]
        envelope = {"success": True, "count": len(data), "data": data, **_totals(data, plan.started)}
        stored = _replayable(envelope if answer is None else answer(envelope), data)
        self._record(plan, list(enumerate(data)), stored)   # one transaction, before the answer leaves
        if stored is None and answer is None and plan.tab is not None:
            # Nothing worth replaying: a retry with the key may run at once (the gateway's own
            # answer() keeps the claim for its next candidate, and frees it itself).
            plan.tab.forget_claim()
        return envelope

    def unsupported(self, model: Model, prompt: PromptRequest) -> str | None:
        """The first parameter of the prompt the model's vendor cannot honour, else None."""
        return self._adapters[model.provider].unsupported(prompt)

    def refusal(self, model: Model, prompt: PromptRequest, *, auto: bool = False) -> AgentParamError | None:
        """Why the model cannot serve the prompt's agent features (tools, response_format, ...), else None.

        First the catalog's capabilities (``auto`` wants each feature documented; a named model is
        refused only a documented lack), then the dialect's own translation, made as the call will make it.
        """
        if prompt.agent is None:
            return None
        param = unsupported(model.capabilities, prompt.agent, unknown_ok=not auto)   # the dialect's say: build()
        if param is not None:
            known = "does not support" if model.capabilities.get(_feature(param)) is False else \
                "is not documented (capabilities.csv) to support"
            return AgentParamError(param, f"{model.id} {known} what {param!r} asks for; leave it out or choose "
                                   "another model.")
        try:   # the translation the call will make (no signing, no I/O)
            self._adapters[model.provider].agent_fields(self._request(model, prompt))
        except AgentParamError as exc:
            return AgentParamError(exc.param, f"{model.id}: {exc.message}")
        return None

    def stream(self, models: Sequence[Model], prompt: PromptRequest, timeout_s: float | None = None, *,
               use_cache: bool = False, caller: str = ANONYMOUS, request_id: str | None = None,
               claim: Any = None, heartbeat_s: float = 1.0, answer: Callable[[dict[str, Any]], Any] | None = None,
               hold_slot: bool = True) -> Events:
        """Take a stream slot and start every vendor stream now (StreamsFull, PoolSaturated and the
        spend errors are raised here, before any event); return the events: ("delta", {id, text})
        as tokens arrive, ("result", item) as each model finishes, each recorded first,
        ("heartbeat", None) while quiet, then ("done", totals). Closing the events early cancels
        what has not finished. ``timeout_s`` (capped by PROVIDER_TIMEOUT) bounds the wait for
        each first token; STREAM_IDLE_TIMEOUT and STREAM_MAX_DURATION the rest. ``answer`` as for
        ``run``; ``hold_slot=False``: the caller holds the stream slot (one for several streams)."""
        if hold_slot:
            self.slots.take()
        try:
            plan = self._plan(models, prompt, timeout_s, use_cache, caller, request_id, claim)
            feed: queue.SimpleQueue = queue.SimpleQueue()
            batch = self._start(plan, feed=feed)
        except BaseException:
            if hold_slot:
                self.slots.give_back()
            raise
        taken: set[int] = set()
        return Events(self._events(plan, batch, feed, heartbeat_s, taken, answer),
                      partial(self._stop, plan, batch, taken, hold_slot))

    def _events(self, plan: _Plan, batch: Batch | None, feed: queue.SimpleQueue, heartbeat_s: float,
                taken: set[int], answer: Callable[[dict[str, Any]], Any] | None = None
                ) -> Iterator[tuple[str, dict[str, Any] | None]]:
        early = sorted(plan.early.items())
        data = [entry for _, entry in early]
        self._record(plan, early)
        for known in data:
            yield "result", known   # a cached answer comes whole, without deltas
        for event in (batch.streamed(feed, heartbeat_s) if batch else ()):
            if event is None:
                yield "heartbeat", None
                continue
            position, value = event
            index = plan.pending[position]
            if not isinstance(value, Outcome):
                yield "delta", delta(plan.models[index].id, value)
                continue
            taken.add(position)
            data.append(self._finish(plan, index, value))
            self._record(plan, [(index, data[-1])])
            yield "result", data[-1]
        totals = {"count": len(data), **_totals(data, plan.started)}
        if plan.tab is not None and plan.tab.claim is not None:
            envelope = {"success": True, "data": data, **totals}
            stored = _replayable(envelope if answer is None else answer(envelope), data)
            if stored is not None:
                self._record(plan, [], stored)
            elif answer is None:
                plan.tab.forget_claim()   # nothing worth replaying: a retry with the key may run at once
        yield "done", totals

    def _stop(self, plan: _Plan, batch: Batch | None, taken: set[int], hold_slot: bool = True) -> None:
        """The client went away (or all is done): cut what is left, record it as it ends, free the slot."""
        try:
            if batch:
                batch.cancel()
                # Calls the client no longer waits for are still counted, logged and recorded, as they end.
                batch.settle(taken, lambda position, outcome: self._late(plan, plan.pending[position], outcome))
        finally:
            if hold_slot:
                self.slots.give_back()

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
        counts = self._tokens.count_texts(prompt.texts(), tokenizers)
        requests = [self._request(model, prompt) for model in models]
        inputs = [_with_images(counts[model.tokenizer], prompt, model, request.model)
                  for model, request in zip(models, requests)]
        estimates = [count.count for count in inputs]
        outlook = self._outlook()
        predicted = [_predicted(outlook.forecast(model.id, estimate)) for model, estimate in zip(models, estimates)]
        early = {}
        if use_cache and self._cache is not None:
            for index, (model, request) in enumerate(zip(models, requests)):
                hit = self._cache.get(model.provider, request, caller)
                if hit is not None:
                    early[index] = cached_item(hit, estimates[index], model)
        tab = None
        if self._accountant is not None:
            # Hold each call's worst case against the caller's budget (SpendUnavailable, before any call):
            # n choices may each write max_tokens.
            tab = self._accountant.open(caller, request_id, [
                Planned(index, self._held_model(models[index], requests[index]),
                        requests[index].max_tokens * requests[index].n, inputs[index])
                for index in range(len(models)) if index not in early], claim)
            base = counts.get(BASE_ENCODING)
            tab.base_input_tokens = base.count if base is not None and base.exact else None
            for index, refusal in tab.refused.items():
                early[index] = refused_item(models[index], VENDORS[models[index].provider].name, estimates[index],
                                            float(refusal.remaining), refusal.message())
        pending = [index for index in range(len(models)) if index not in early]
        plan = _Plan(list(models), requests, estimates, predicted, early, pending, started, started + budget,
                     use_cache, caller, request_id, tab)
        if tab is not None and len(tab.refused) == len(models):
            self._record(plan, sorted(early.items()))   # refusals are ledger rows too
            raise tab.refusal_error()
        return plan

    def _start(self, plan: _Plan, inline: bool = False, feed: queue.SimpleQueue | None = None) -> Batch | None:
        """Start the plan's calls: whole answers, or (with a feed for the deltas) streams."""
        if not plan.pending:
            return None
        if feed is None:
            calls = [(plan.models[i].provider, self._call(plan.models[i], plan.requests[i])) for i in plan.pending]
            deadline = plan.deadline
        else:
            calls = [(plan.models[i].provider, self._stream_call(plan, i, partial(put, feed, position)))
                     for position, i in enumerate(plan.pending)]
            # Each stream ends by its own limits; the batch waits as long as the longest may take.
            deadline = plan.started + self._limits.stream_max_s + 1.0
        try:
            return self._dispatcher.start(calls, deadline, inline=inline)
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
        model = self._billed_model(plan, index, outcome)
        tokenizer = model.tokenizer

        def count_text(text: str) -> int:
            return self._tokens.count(text, {tokenizer})[tokenizer].count

        return item(model, VENDORS[model.provider].name, outcome, plan.estimates[index], count_text,
                    plan.requests[index].max_tokens, plan.predicted[index])

    def _held_model(self, model: Model, request: PromptRequest) -> Model:
        """The model at the prices of the tier the request asks for (its budget hold's worst case)."""
        if request.service_tier in (None, "auto", "default"):
            return model
        return self._at_tier(model, request.service_tier) or model

    def _billed_model(self, plan: _Plan, index: int, outcome: Outcome) -> Model:
        """The model at the prices of the service tier the vendor reports (the ledger row bills the same)."""
        model = plan.models[index]
        tier = outcome.completion.service_tier if outcome.completion is not None else None
        if tier is None or tier == "default":
            return model
        priced = self._at_tier(model, tier)
        if priced is None:
            log.warning("%s reported service tier %r, which the catalog does not price; billed at its standard "
                        "prices", model.id, tier)
            return model
        plan.models[index] = priced
        return priced

    def _call(self, model: Model, request: PromptRequest):
        return partial(self._send, self._adapters[model.provider], request, model.provider)

    def _send(self, adapter: Adapter, request: PromptRequest, vendor_key: str, deadline: float,
              cancel: threading.Event):
        return send(adapter, request, session_for(vendor_key), deadline=deadline,
                    connect_timeout=self._limits.connect_timeout_s, max_retries=self._limits.max_retries,
                    cancel=cancel, max_response_bytes=self._limits.max_response_bytes)

    def _stream_call(self, plan: _Plan, index: int, emit: Callable[[str], None]):
        model = plan.models[index]
        limits = StreamLimits(first_token_deadline=plan.deadline, idle_timeout=self._limits.stream_idle_s,
                              max_duration=self._limits.stream_max_s,
                              connect_timeout=self._limits.connect_timeout_s,
                              max_retries=self._limits.max_retries,
                              max_response_bytes=self._limits.max_response_bytes)
        return partial(stream_answer, self._adapters[model.provider], plan.requests[index], model.provider, limits, emit)

    def _request(self, model: Model, prompt: PromptRequest) -> PromptRequest:
        return replace(prompt, model=self._adapters[model.provider].api_model(model),
                       max_tokens=min(prompt.max_tokens, model.max_output_tokens))


def _replayable(stored: dict[str, Any] | None, data: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The answer to store for an Idempotency-Key: none when every item failed (a retry may run)."""
    return stored if any(item["success"] for item in data) else None


def _predicted(forecast: Forecast | None) -> dict[str, int] | None:
    if forecast is None or forecast.tokens is None:
        return None
    return {"tokens": forecast.tokens, "low": forecast.low, "high": forecast.high, "samples": forecast.samples}


def _with_images(count: TokenCount, prompt: PromptRequest, model: Model, api_model: str) -> TokenCount:
    """The input estimate with the request's images at the vendor's documented rate (text alone otherwise)."""
    if prompt.agent is None:
        return count
    extra = registry.request_image_cost(prompt.agent, model.provider, api_model).tokens
    return replace(count, count=count.count + extra) if extra else count


def _feature(param: str) -> str:
    return next(feature for feature, name in PARAMS.items() if name == param)


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
