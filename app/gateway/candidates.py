"""Which models may serve a /v1 request, in the order to try them (pure: no Flask).

``model`` then ``models`` (OpenRouter's fallbacks), each a catalog id, a model name (its
configured providers, cheapest first for this prompt) or ``auto`` (the ranking: the cheapest
configured models that meet the request's constraints).
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from app.agents import AgentParamError
from app.agents.capabilities import PARAMS
from app.catalog import CatalogRepository, Model
from app.catalog.selection import UnknownNames, provider_keys
from app.forecast.outlook import Outlook
from app.pricing.ranking import AUTO as PREDICTED, RankingTable, rank
from app.tokens.counter import TokenCount

AUTO = "auto"
AGENT_PARAMS = frozenset(PARAMS.values()) | {"tool_choice", "parallel_tool_calls"}
# Output tokens a candidate is priced with when the ledger holds no prediction for it (app/forecast)
# and the client sets no max_tokens.
DEFAULT_EXPECTED_OUTPUT_TOKENS = 500


def expected_output_tokens(max_tokens: int | None) -> int:
    """The output tokens priced without a prediction: the request's max_tokens, else a default."""
    return max_tokens if max_tokens is not None else DEFAULT_EXPECTED_OUTPUT_TOKENS


@dataclass(frozen=True)
class Constraints:
    """What ``auto`` must meet (the body's ``price_runner``)."""

    min_quality: tuple[str, float] | None = None   # (benchmark, lowest score)
    max_cost: float | None = None                   # USD for this request, at the expected output
    providers: frozenset[str] | None = None         # vendor keys
    sort: str = "cost"


@dataclass(frozen=True)
class Candidate:
    model: Model
    estimated_cost: float   # USD at catalog prices: exact input tokens, expected output tokens


class CandidateError(ValueError):
    """No usable candidate: the status, the request field to blame, OpenAI's code."""

    def __init__(self, status: int, param: str, message: str, code: str):
        super().__init__(message)
        self.status, self.param, self.message, self.code = status, param, message, code


# A model's score on a benchmark, or None when it has none. Published scores come from the
# catalog (Model.quality); eval:<name> benchmarks from the caller's evals (Gateway.candidates).
QualityLookup = Callable[[Model, str], "float | None"]


def published_score(model: Model, benchmark: str) -> float | None:
    """The model's published score on the benchmark (quality.csv), if any."""
    score = model.quality.get(benchmark)
    return None if score is None else score.score


@dataclass
class Chooser:
    """Resolve the request's model names against one catalog snapshot and this prompt's counts."""

    catalog: CatalogRepository
    table: RankingTable
    count: Callable[[Collection[str]], Mapping[str, TokenCount]]   # the prompt's counts for these tokenizers
    configured: Collection[str]
    output_tokens: int
    unsupported: Callable[[Model], str | None]   # the parameter the model's vendor cannot honour
    quality: QualityLookup = published_score
    # Why a model cannot serve the request's agent features (auto: each must be documented), else None.
    refusal: Callable[[Model, bool], AgentParamError | None] = lambda model, auto: None
    extra_input_tokens: Mapping[str, int] | None = None   # by model id: the request's images, by vendor rule
    outlook: Outlook | None = None   # the ledger's output predictions: each model's predicted output, if any

    def choose(self, model: str, fallbacks: Sequence[str] | None, constraints: Constraints) -> list[Candidate]:
        """Every candidate in order, without repeats; CandidateError when there is none."""
        chosen: dict[str, Candidate] = {}
        for index, name in enumerate([model, *(fallbacks or ())]):
            param = "model" if index == 0 else f"models[{index - 1}]"
            found = self._auto(constraints) if name == AUTO else self._named(name, param)
            for candidate in found:
                chosen.setdefault(candidate.model.id, candidate)
        return list(chosen.values())

    def _named(self, name: str, param: str) -> list[Candidate]:
        try:
            models = self.catalog.named([name])
        except UnknownNames:
            raise CandidateError(404, param, f"The model {name!r} does not exist: use a catalog id "
                                 "(provider/model) or a model name from GET /v1/models, or auto.",
                                 "model_not_found") from None
        if all(model.estimate_only for model in models):
            raise CandidateError(400, param, f"{name!r} is estimate-only: an asynchronous batch API this "
                                 "gateway cannot call; use the model without its batch suffix.", "model_not_found")
        usable = [model for model in models if model.provider in self.configured and not model.estimate_only]
        if not usable:
            raise CandidateError(404, param, f"The model {name!r} is not available: no provider of it is "
                                 "configured on this service.", "model_not_found")
        # A name several providers serve keeps those whose vendor can honour every parameter set.
        lacking = [self.unsupported(model) for model in usable]
        if all(lacking):
            raise CandidateError(400, lacking[0], f"{usable[0].id} does not support the parameter {lacking[0]!r}; "
                                 "leave it out or choose another model.", "unsupported_parameter")
        usable = [model for model, parameter in zip(usable, lacking) if parameter is None]
        # A name several providers serve keeps those whose dialect and documented capabilities can serve it.
        refusals = [self.refusal(model, False) for model in usable]
        if all(refusals):
            raise CandidateError(400, refusals[0].param, refusals[0].message, "unsupported_parameter")
        usable = [model for model, refused in zip(usable, refusals) if refused is None]
        ranked = self._rank(model_ids={model.id for model in usable}, tokenizers={m.tokenizer for m in usable})
        if not ranked:
            raise CandidateError(400, "messages", f"The conversation and max_tokens do not fit {name!r}'s "
                                 "context window.", "context_length_exceeded")
        return ranked

    def _auto(self, constraints: Constraints) -> list[Candidate]:
        scores = None
        if constraints.sort == "value" and constraints.min_quality is not None:
            # Points per dollar on the request's own benchmark (else the ranking's default benchmark).
            benchmark = constraints.min_quality[0]
            scores = {model.id: score for model in self.catalog.all()
                      if (score := self.quality(model, benchmark)) is not None}
        ranked = self._rank(providers=constraints.providers, max_cost=constraints.max_cost, sort=constraints.sort,
                            scores=scores)
        if constraints.min_quality is not None:
            ranked = self._meeting(ranked, *constraints.min_quality)
        ranked = [candidate for candidate in ranked if not candidate.model.estimate_only]
        skipped = [self._skip(candidate.model) for candidate in ranked]
        usable = [candidate for candidate, parameter in zip(ranked, skipped) if parameter is None]
        if not usable:
            if any(skipped):
                parameter = next(p for p in skipped if p)
                raise CandidateError(400, parameter, f"No model that meets the constraints supports the parameter "
                                     f"{parameter!r}" + _documented(parameter), "unsupported_parameter")
            raise CandidateError(400, "price_runner", "No configured model meets the constraints (price_runner: "
                                 "min_quality, max_cost, providers) for this prompt.", "no_model_meets_constraints")
        return usable

    def _skip(self, model: Model) -> str | None:
        """The parameter that keeps a model out of auto, else None."""
        parameter = self.unsupported(model)
        if parameter is None:
            refused = self.refusal(model, True)
            parameter = refused.param if refused is not None else None
        return parameter

    def _meeting(self, ranked: list[Candidate], benchmark: str, lowest: float) -> list[Candidate]:
        if not any(self.quality(model, benchmark) is not None for model in self.catalog.all()):
            raise CandidateError(400, "price_runner.min_quality.benchmark",
                                 f"No model has a score on the benchmark {benchmark!r}.", "unknown_benchmark")
        return [candidate for candidate in ranked
                if (score := self.quality(candidate.model, benchmark)) is not None and score >= lowest]

    def _rank(self, *, model_ids: set[str] | None = None, tokenizers: Collection[str] | None = None,
              providers: Collection[str] | None = None, max_cost: float | None = None,
              sort: str = "cost", scores: Mapping[str, float] | None = None) -> list[Candidate]:
        # Only the tokenizers of the models that can be ranked: a named model is counted once.
        counts = self.count(self.table.tokenizers if tokenizers is None else tokenizers)
        # Each model's predicted output where the ledger has one, else output_tokens (max_tokens or 500).
        ranking = rank(self.table, counts, expected_output_tokens=PREDICTED, outlook=self.outlook,
                       fallback_output_tokens=self.output_tokens, sort=sort, providers=providers,
                       model_ids=model_ids, max_total_cost=max_cost, configured=self.configured,
                       only_configured=True, extra_input_tokens=self.extra_input_tokens, scores=scores)
        return [Candidate(self.catalog.get(item["id"]), item["total_cost"]) for item in ranking.items
                if self.catalog.get(item["id"]) is not None]


def _documented(parameter: str) -> str:
    if parameter in AGENT_PARAMS:
        return " (auto considers only models whose vendor documents it: capabilities.csv)."
    return "."


def constraints_from(options: Mapping | None) -> Constraints:
    """The body's price_runner options as Constraints (CandidateError for unknown providers)."""
    if not options:
        return Constraints()
    providers = None
    if options.get("providers") is not None:
        try:
            providers = frozenset(provider_keys(options["providers"]))
        except UnknownNames as exc:
            raise CandidateError(400, "price_runner.providers", f"Unknown provider(s): {exc}.",
                                 "unknown_provider") from None
    quality = options.get("min_quality")
    return Constraints(min_quality=(quality["benchmark"], quality["score"]) if quality else None,
                       max_cost=options.get("max_cost"), providers=providers, sort=options.get("sort") or "cost")
