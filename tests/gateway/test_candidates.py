"""The candidate chooser on its own: pure, over the bundled catalog and a fixed token count."""
import pytest

from app.catalog import InMemoryCatalog, load_catalog
from app.config import PROJECT_ROOT
from app.gateway.candidates import CandidateError, Chooser, Constraints
from app.pricing.ranking import RankingTable
from app.tokens.counter import TokenCount

MODELS = load_catalog(PROJECT_ROOT / "models.csv", PROJECT_ROOT / "quality.csv")
CONFIGURED = {"groq", "openai", "anthropic"}


def chooser(quality=None, unsupported=lambda model: None, counted=None):
    def count(tokenizers):
        if counted is not None:
            counted.append(set(tokenizers))
        return {name: TokenCount(100, name, True) for name in tokenizers}
    extra = {} if quality is None else {"quality": quality}
    return Chooser(InMemoryCatalog(MODELS), RankingTable(MODELS), count, CONFIGURED, 50, unsupported, **extra)


def ids(candidates):
    return [candidate.model.id for candidate in candidates]


def test_auto_is_every_configured_model_cheapest_first():
    found = chooser().choose("auto", None, Constraints())
    assert {c.model.provider for c in found} <= CONFIGURED and len(found) > 10
    costs = [c.estimated_cost for c in found]
    assert costs == sorted(costs)


def test_a_name_expands_to_its_configured_providers_then_fallbacks_follow_without_repeats():
    found = chooser().choose("gpt-6-luna", ["openai/gpt-6-luna", "anthropic/claude-haiku-5-5"], Constraints())
    assert ids(found) == ["openai/gpt-6-luna", "anthropic/claude-haiku-5-5"]   # azure is not configured here


def test_the_quality_lookup_is_a_seam_for_eval_benchmarks():
    evals = {"groq/llama-3.3-70b": 91.0, "openai/gpt-6-luna": 95.0}
    found = chooser(quality=lambda model, benchmark: evals.get(model.id) if benchmark == "house_eval" else None)
    chosen = found.choose("auto", None, Constraints(min_quality=("house_eval", 90)))
    assert set(ids(chosen)) == set(evals)


def test_a_named_model_is_counted_for_its_own_tokenizer_only():
    counted = []
    chooser(counted=counted).choose("openai/gpt-6-luna", None, Constraints())
    model = next(m for m in MODELS if m.id == "openai/gpt-6-luna")
    assert counted == [{model.tokenizer}]


def test_unsupported_parameters_drop_out_of_auto_but_refuse_a_named_model():
    no_seed = lambda model: "seed" if model.provider == "anthropic" else None   # noqa: E731
    assert "anthropic" not in {c.model.provider for c in chooser(unsupported=no_seed).choose("auto", None, Constraints())}
    with pytest.raises(CandidateError) as caught:
        chooser(unsupported=no_seed).choose("anthropic/claude-haiku-5-5", None, Constraints())
    assert (caught.value.status, caught.value.param) == (400, "seed")


def test_agent_refusals_skip_auto_candidates_and_the_refused_providers_of_a_name():
    from app.agents import AgentParamError
    seen = []

    def refusal(model, auto):
        seen.append(auto)
        return AgentParamError("tools", f"{model.id} cannot") if model.provider == "groq" else None
    found = Chooser(InMemoryCatalog(MODELS), RankingTable(MODELS),
                    lambda tokenizers: {n: TokenCount(100, n, True) for n in tokenizers},
                    {"groq", "openai", "bedrock"}, 50, lambda model: None, refusal=refusal)
    assert "groq" not in {c.model.provider for c in found.choose("auto", None, Constraints())} and all(seen)
    seen.clear()
    # llama-3.3-70b: groq (refused) and bedrock; the name keeps bedrock; refusals on a name are not auto's
    assert ids(found.choose("llama-3.3-70b", None, Constraints())) == ["bedrock/llama-3.3-70b"] and not any(seen)
    with pytest.raises(CandidateError) as caught:
        found.choose("groq/llama-3.3-70b", None, Constraints())
    error = caught.value
    assert (error.status, error.param, error.message) == (400, "tools", "groq/llama-3.3-70b cannot")


def test_extra_input_tokens_raise_each_models_estimate():
    def make(extra):
        return Chooser(InMemoryCatalog(MODELS), RankingTable(MODELS),
                       lambda tokenizers: {n: TokenCount(100, n, True) for n in tokenizers},
                       CONFIGURED, 50, lambda model: None, extra_input_tokens=extra)
    [plain] = make(None).choose("openai/gpt-6-luna", None, Constraints())
    [imaged] = make({"openai/gpt-6-luna": 1000}).choose("openai/gpt-6-luna", None, Constraints())
    model = plain.model
    assert imaged.estimated_cost - plain.estimated_cost == pytest.approx(1000 * model.input_price_per_mtok / 1e6)


def test_auto_prices_each_models_predicted_output_where_the_ledger_has_one():
    # gpt-6-luna has 40 billed calls of 2,000 output tokens for prompts of this length; the other
    # models have no prediction and are priced at the request's fallback (50 tokens here).
    from app.forecast.outlook import Outlook, build_forecasts
    luna = next(model for model in MODELS if model.id == "openai/gpt-6-luna")
    outlook = Outlook(build_forecasts([(luna.id, 100, 2000)] * 40, min_samples=10))

    def make(outlook):
        return Chooser(InMemoryCatalog(MODELS), RankingTable(MODELS),
                       lambda tokenizers: {n: TokenCount(100, n, True) for n in tokenizers},
                       CONFIGURED, 50, lambda model: None, outlook=outlook)
    before = {c.model.id: c.estimated_cost for c in make(None).choose("auto", None, Constraints())}
    after = {c.model.id: c.estimated_cost for c in make(outlook).choose("auto", None, Constraints())}
    assert after[luna.id] - before[luna.id] == pytest.approx((2000 - 50) * luna.output_price_per_mtok / 1e6)
    assert {k: v for k, v in after.items() if k != luna.id} == {k: v for k, v in before.items() if k != luna.id}


def test_value_for_auto_is_points_per_dollar_on_the_min_quality_benchmark():
    found = chooser().choose("auto", None, Constraints(min_quality=("gpqa_diamond", 0), sort="value"))
    per_dollar = [c.model.quality["gpqa_diamond"].score / c.estimated_cost for c in found]
    assert found and per_dollar == sorted(per_dollar, reverse=True)


def test_value_for_auto_without_min_quality_is_points_per_dollar_on_the_default_benchmark():
    default = RankingTable(MODELS).default_benchmark   # the percent-scale benchmark scoring the most rows
    assert default is not None
    found = chooser().choose("auto", None, Constraints(sort="value"))
    scored = [c for c in found if default in c.model.quality and c.estimated_cost > 0]
    per_dollar = [c.model.quality[default].score / c.estimated_cost for c in scored]
    assert len(scored) > 3 and per_dollar == sorted(per_dollar, reverse=True)
    first_unscored = next(i for i, c in enumerate(found) if default not in c.model.quality)
    assert all(default not in c.model.quality for c in found[first_unscored:])   # unscored trail
