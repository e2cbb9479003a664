"""Run an eval through the send_prompt router: each prompt to every model, each answer graded.

Every call is send_prompt's own (budgets held, a ledger row each, the pool's and vendors' caps);
the router sees one request per prompt. At most ``concurrency`` prompts run at once, all under
one deadline; a prompt not started by then, or never admitted by a full pool, is ``not_run``.
No Flask here.
"""
from __future__ import annotations

import hashlib
import logging
import statistics
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson

from app.catalog import Model
from app.evals.graders import GRADE_TIMEOUT_S, Verdict, grade
from app.providers.base import PromptRequest
from app.routing.dispatch import PoolSaturated
from app.spend.errors import BudgetExceeded
from app.spend.rows import cost as exact_item_cost

log = logging.getLogger(__name__)
NOT_RUN = "not_run"
REFUSED = "budget_exceeded"
POOL_RETRY_S = 0.1   # a full pool frees a thread within a call's time; look again this often
MIN_TIME_S = 0.05    # a prompt is not started with less time than this left


@dataclass(frozen=True)
class Outcome:
    """One prompt on one model."""

    position: int
    prompt_id: str | None
    model_id: str
    passed: bool | None                 # None: no answer to grade
    problem: str | None                 # the call's error type, or why the grader failed the answer
    cost: Decimal
    latency_ms: int | None
    response: str | None = field(default=None, compare=False)   # returned to the caller, never stored


@dataclass(frozen=True)
class Result:
    """One model over the whole set."""

    model_id: str
    passed: int
    graded: int
    errors: int
    cost: Decimal
    latency_ms: int | None

    @property
    def score(self) -> float | None:
        """Percent of graded answers that passed; None when nothing was graded."""
        return round(100 * self.passed / self.graded, 4) if self.graded else None


@dataclass(frozen=True)
class Run:
    """What one eval produced, ready to store."""

    results: list[Result]
    outcomes: list[Outcome]
    complete: bool


def set_hash(prompts: Sequence[Mapping[str, Any]], system: str | None) -> str:
    """A digest of the prompts, their graders and the shared system prompt (tells sets apart)."""
    return hashlib.sha256(orjson.dumps({"prompts": list(prompts), "system": system},
                                       option=orjson.OPT_SORT_KEYS)).hexdigest()


class EvalRunner:
    """Runs evals on one router, at most ``concurrency`` prompts at a time, and never more calls at
    once than half the provider pool (one prompt at a time if even that is more): an eval must not
    starve the worker's send_prompt requests."""

    def __init__(self, router: Any, concurrency: int, deadline_s: float, pool_size: int,
                 grade_timeout_s: float = GRADE_TIMEOUT_S, grade_budget_s: float = 10 * GRADE_TIMEOUT_S):
        self._router, self._concurrency, self._deadline_s = router, concurrency, deadline_s
        self._pool_size, self._grade_timeout_s, self._grade_budget_s = pool_size, grade_timeout_s, grade_budget_s

    def prompts_at_once(self, models: int, prompts: int) -> int:
        """How many prompts run concurrently for an eval of this size."""
        return max(1, min(self._concurrency, prompts, self._pool_size // 2 // max(models, 1)))

    def run(self, models: Sequence[Model], prompts: Sequence[Mapping[str, Any]], *, system: str | None,
            max_tokens: int, temperature: float | None, timeout_s: float | None, caller: str,
            request_id: str | None) -> Run:
        """Send every prompt to every model, grade the answers, sum them up per model.

        SpendUnavailable (the database cannot hold budgets) propagates once every prompt has ended.
        """
        deadline = time.monotonic() + min(timeout_s or self._deadline_s, self._deadline_s)
        stop = threading.Event()
        grading = GradeBudget(self._grade_timeout_s, self._grade_budget_s)

        def one(position: int) -> list[Outcome]:
            case = prompts[position]
            request = PromptRequest(case["prompt"], case["system"] or system, max_tokens, temperature)
            envelope = self._send(models, request, deadline, stop, caller, request_id)
            return _grade_all(position, case, models, envelope, grading)

        with ThreadPoolExecutor(self.prompts_at_once(len(models), len(prompts)), thread_name_prefix="eval") as pool:
            futures = [pool.submit(one, position) for position in range(len(prompts))]
            try:
                per_prompt = [future.result() for future in futures]
            except BaseException:
                stop.set()   # the others stop at their next look
                raise
        outcomes = [outcome for batch in per_prompt for outcome in batch]
        return Run(_results(models, outcomes), outcomes, all(o.problem != NOT_RUN for o in outcomes))

    def _send(self, models: Sequence[Model], request: PromptRequest, deadline: float, stop: threading.Event,
              caller: str, request_id: str | None) -> dict[str, Any] | None:
        """The router's envelope for one prompt; None if it never ran; REFUSED items if no budget fits."""
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left < MIN_TIME_S:
                return None
            try:
                return self._router.run(models, request, left, caller=caller, request_id=request_id)
            except PoolSaturated:
                stop.wait(min(POOL_RETRY_S, left))
            except BudgetExceeded:   # no model fitted; the router recorded each refusal
                return {"data": [{"id": model.id, "success": False, "cached": False, "cost_basis": None,
                                  "error": {"type": REFUSED}, "latency_ms": 0.0} for model in models]}
        return None


class GradeBudget:
    """The CPU seconds the grades of one run may still take, shared by its threads: each grade gets
    at most ``per_grade_s`` of what is left (none once it is spent: then ``grader_timeout``)."""

    def __init__(self, per_grade_s: float, total_s: float):
        self._per_grade_s, self._left = per_grade_s, total_s
        self._lock = threading.Lock()

    def grade(self, spec: Mapping[str, Any], answer: str) -> Verdict:
        """Grade one answer within its share, and count the CPU time it took."""
        with self._lock:
            allowed = max(0.0, min(self._per_grade_s, self._left))
        started = time.thread_time()
        try:
            return grade(spec, answer, allowed)
        finally:
            with self._lock:
                self._left -= time.thread_time() - started


def _grade_all(position: int, case: Mapping[str, Any], models: Sequence[Model],
               envelope: dict[str, Any] | None, grading: GradeBudget) -> list[Outcome]:
    if envelope is None:
        return [Outcome(position, case["id"], model.id, None, NOT_RUN, Decimal(0), None) for model in models]
    return [_outcome(position, case, model, item, grading) for model, item in zip(models, envelope["data"])]


def _outcome(position: int, case: Mapping[str, Any], model: Model, item: dict[str, Any],
             grading: GradeBudget) -> Outcome:
    cost, latency = exact_item_cost(model, item), round(item["latency_ms"])   # the ledger row's exact cost
    if not item["success"]:
        return Outcome(position, case["id"], item["id"], None, item["error"]["type"], cost, latency)
    try:
        verdict = grading.grade(case["grader"], item["response"] or "")
    except Exception:   # a bug must cost one grade, not the run whose calls are already billed
        log.exception("grading an answer of %s failed", model.id)
        verdict = Verdict(False, "grader_error")
    return Outcome(position, case["id"], item["id"], verdict.passed, verdict.problem, cost, latency,
                   item["response"])


def _results(models: Sequence[Model], outcomes: Sequence[Outcome]) -> list[Result]:
    results = []
    for model in models:
        mine = [o for o in outcomes if o.model_id == model.id]
        graded = [o for o in mine if o.passed is not None]
        latencies = [o.latency_ms for o in graded if o.latency_ms is not None]
        results.append(Result(model.id, sum(o.passed for o in graded), len(graded), len(mine) - len(graded),
                              sum((o.cost for o in mine), Decimal(0)),
                              round(statistics.median(latencies)) if latencies else None))
    return results
