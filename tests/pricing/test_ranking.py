"""rank(): item shape, sorts, ties, filters, limit, context-window exclusion, agreement with cost maths."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.catalog.csv_loader import load_models
from app.catalog.model import Model
from app.catalog.quality import Score
from app.pricing.cost import price_request
from app.forecast.outlook import BUCKETS, Forecast, Outlook
from app.pricing.ranking import AUTO, ITEM_KEYS, RankingTable, rank
from app.vendors import VENDORS
from app.tokens.counter import TokenCount

CATALOG = Path(__file__).resolve().parents[2] / "models.csv"
NAMES = {key: vendor.name for key, vendor in VENDORS.items()}


def make_model(model_id: str, input_price: float = 1.0, output_price: float = 2.0, **overrides) -> Model:
    """Build a catalog row; the provider is the id's prefix."""
    fields = dict(id=model_id, provider=model_id.split("/")[0], model_name=model_id.split("/")[1],
                  api_model=model_id.split("/")[1], default=False,
                  input_price_per_mtok=input_price, output_price_per_mtok=output_price,
                  cached_input_price_per_mtok=None, long_context_threshold=None,
                  long_input_price_per_mtok=None, long_output_price_per_mtok=None,
                  context_window=128_000, max_output_tokens=16_384, mmlu_score=80.0, mmlu_pro_score=None,
                  model_size="Unknown", tokenizer="o200k_base", prices_checked="2026-11-27",
                  source="https://example.com")
    return Model(**{**fields, **overrides})


def quality(**scores: float) -> dict[str, Score]:
    """Published scores by benchmark key; keys starting lmarena are Elo ratings, the rest percent."""
    return {key: Score(value, "elo" if key.startswith("lmarena") else "percent", "https://example.com", "2026-01-01")
            for key, value in scores.items()}


def counts_of(o200k: int = 1_000, **families: int) -> dict[str, TokenCount]:
    counts = {"o200k_base": TokenCount(o200k, "o200k_base", True)}
    counts.update({name: TokenCount(n, name, False) for name, n in families.items()})
    return counts


def ids(ranking) -> list[str]:
    return [item["id"] for item in ranking.items]


def test_item_has_exactly_the_contract_fields_in_order():
    model = make_model("openai/gpt-4o-mini", 0.15, 0.6, mmlu_score=82.0)
    ranking = rank([model], counts_of(25), provider_names=NAMES)
    assert ranking.items == [{
        "id": "openai/gpt-4o-mini", "model_name": "gpt-4o-mini", "provider": "OpenAI",
        "price_per_token": 0.00000015, "estimated_tokens": 25, "total_cost": 0.00000375,
        "input_cost": 0.00000375, "output_cost": 0.0, "expected_output_tokens": 0,
        "tokenizer": "o200k_base", "token_count_exact": True, "long_context": False,
        "mmlu_score": 82.0, "model_size": "Unknown", "configured": False, "price_effective_from": None,
        "output_basis": {"kind": "given", "samples": 0}, "output_cost_range": None, "self_hosted": False,
        "quality_score": None,   # no published score: the catalog has no default benchmark
        "price_window": None, "price_changes_at": None}]
    assert tuple(ranking.items[0]) == ITEM_KEYS
    assert ranking.excluded_context_window == 0


def test_items_are_independent_dicts():
    table = RankingTable([make_model("openai/a")])
    first = rank(table, counts_of()).items[0]
    first["total_cost"] = -1
    assert rank(table, counts_of()).items[0]["total_cost"] > 0


def test_each_model_uses_its_own_tokenizer_count_and_label():
    models = [make_model("openai/a"), make_model("anthropic/b", tokenizer="claude")]
    items = {i["id"]: i for i in rank(models, counts_of(100, claude=120)).items}
    assert (items["anthropic/b"]["estimated_tokens"], items["anthropic/b"]["tokenizer"]) == (120, "claude")
    assert items["anthropic/b"]["token_count_exact"] is False
    assert items["openai/a"]["estimated_tokens"] == 100


def test_a_tokenizer_missing_from_counts_falls_back_to_o200k():
    item = rank([make_model("x/a", tokenizer="brand-new")], counts_of(77)).items[0]
    assert (item["estimated_tokens"], item["tokenizer"]) == (77, "o200k_base")


def test_cost_sort_is_cheapest_first_with_ties_by_id():
    models = [make_model("z/tie", 1.0), make_model("a/pricey", 5.0), make_model("a/tie", 1.0),
              make_model("m/cheap", 0.5)]
    assert ids(rank(models, counts_of())) == ["m/cheap", "a/tie", "z/tie", "a/pricey"]


def test_costs_include_expected_output_and_match_price_request():
    models = [make_model("a/x", 1.0, 4.0), make_model("b/y", 3.0, 1.0)]
    ranking = rank(models, counts_of(1_000), expected_output_tokens=2_000)
    for item, model in zip(ranking.items, sorted(models, key=lambda m: price_request(m, 1_000, 2_000).total_cost)):
        cost = price_request(model, 1_000, 2_000)
        assert (item["input_cost"], item["output_cost"], item["total_cost"]) == (
            cost.input_cost, cost.output_cost, cost.total_cost)
        assert item["expected_output_tokens"] == 2_000


def test_long_context_tier_is_flagged_and_priced():
    model = make_model("g/tiered", 1.0, 2.0, context_window=1_000_000, long_context_threshold=200_000,
                       long_input_price_per_mtok=2.0, long_output_price_per_mtok=4.0)
    below, above = (rank([model], counts_of(n)).items[0] for n in (200_000, 200_001))
    assert below["long_context"] is False and above["long_context"] is True
    assert above["total_cost"] == price_request(model, 200_001, 0).total_cost == 200_001 * 2.0 / 1e6


def test_mmlu_sort_best_first_unscored_last_ties_cheapest_then_id():
    models = [make_model("a/none", 0.1, mmlu_score=None), make_model("b/mid", 1.0, mmlu_score=70.0),
              make_model("c/top-dear", 9.0, mmlu_score=90.0), make_model("d/top-cheap", 1.0, mmlu_score=90.0),
              make_model("e/top-cheap", 1.0, mmlu_score=90.0)]
    assert ids(rank(models, counts_of(), sort="mmlu")) == [
        "d/top-cheap", "e/top-cheap", "c/top-dear", "b/mid", "a/none"]


def test_value_sort_free_scored_first_then_points_per_dollar_unscored_last():
    # Without named scores, value uses the default benchmark (gpqa_diamond here), not mmlu_score.
    models = [make_model("a/unscored-free", 0.0, 0.0),
              make_model("b/free-weak", 0.0, 0.0, quality=quality(gpqa_diamond=60.0)),
              make_model("c/free-strong", 0.0, 0.0, quality=quality(gpqa_diamond=85.0)),
              make_model("d/cheap-good", 0.1, 0.1, mmlu_score=10.0, quality=quality(gpqa_diamond=80.0)),
              make_model("e/dear-great", 10.0, 10.0, quality=quality(gpqa_diamond=90.0)),    # 90 / 0.01 USD
              make_model("f/unscored-dear", 5.0, 5.0, mmlu_score=99.0)]
    ranked = rank(models, counts_of(1_000), sort="value")
    assert ids(ranked) == [
        "c/free-strong", "b/free-weak", "d/cheap-good", "e/dear-great", "a/unscored-free", "f/unscored-dear"]
    assert [item["quality_score"] for item in ranked.items] == [85.0, 60.0, 80.0, 90.0, None, None]


def test_the_default_benchmark_is_the_percent_one_that_scores_the_most_rows():
    models = [make_model("a/x", quality=quality(mmlu=80.0, gpqa_diamond=50.0, lmarena_text=1400)),
              make_model("b/y", quality=quality(mmlu=70.0, lmarena_text=1300)),
              make_model("c/z", quality=quality(gpqa_diamond=40.0, swe_bench_verified=60.0, lmarena_text=1200)),
              make_model("d/w", quality=quality(swe_bench_verified=55.0, lmarena_text=1350))]
    table = RankingTable(models)
    # lmarena_text scores all four rows but is an Elo rating; mmlu, gpqa_diamond and swe_bench_verified
    # score two each: the first key wins the tie.
    assert table.default_benchmark == "gpqa_diamond"
    assert table.default_scores == {"a/x": 50.0, "c/z": 40.0}
    items = {item["id"]: item["quality_score"] for item in rank(table, counts_of()).items}
    assert items == {"a/x": 50.0, "b/y": None, "c/z": 40.0, "d/w": None}
    more = RankingTable([*models, make_model("e/v", quality=quality(mmlu=60.0))])
    assert more.default_benchmark == "mmlu"   # computed from the data: a third mmlu row moves it
    assert RankingTable([make_model("a/x", quality=quality(lmarena_text=1400))]).default_benchmark is None


def test_unknown_sort_is_rejected():
    with pytest.raises(ValueError):
        rank([make_model("a/x")], counts_of(), sort="speed")


@pytest.mark.parametrize("limit, expected", [(None, 3), (2, 2), (0, 0), (10, 3)])
def test_limit_truncates_after_sorting(limit, expected):
    models = [make_model("a/x", 3.0), make_model("b/y", 1.0), make_model("c/z", 2.0)]
    got = ids(rank(models, counts_of(), limit=limit))
    assert got == ["b/y", "c/z", "a/x"][:expected]


def test_provider_and_model_filters():
    models = [make_model("openai/a"), make_model("openai/b"), make_model("groq/c")]
    assert ids(rank(models, counts_of(), providers={"openai"})) == ["openai/a", "openai/b"]
    assert ids(rank(models, counts_of(), model_ids={"groq/c", "openai/b"})) == ["groq/c", "openai/b"]
    assert ids(rank(models, counts_of(), providers={"openai"}, model_ids={"groq/c"})) == []


def test_configured_flag_and_only_configured():
    models = [make_model("openai/a"), make_model("groq/b", 2.0)]
    ranking = rank(models, counts_of(), configured={"groq"})
    assert [(i["id"], i["configured"]) for i in ranking.items] == [("openai/a", False), ("groq/b", True)]
    assert ids(rank(models, counts_of(), configured={"groq"}, only_configured=True)) == ["groq/b"]
    assert ids(rank(models, counts_of(), only_configured=True)) == []


def test_min_mmlu_drops_lower_and_unscored_models():
    models = [make_model("a/low", mmlu_score=60.0), make_model("b/edge", mmlu_score=75.0),
              make_model("c/none", mmlu_score=None)]
    assert ids(rank(models, counts_of(), min_mmlu=75.0)) == ["b/edge"]


def test_max_total_cost_keeps_models_at_or_below_it():
    models = [make_model("a/one", 1.0), make_model("b/two", 2.0)]
    assert ids(rank(models, counts_of(100_000), max_total_cost=0.1)) == ["a/one"]


def test_context_window_exclusion_counts_input_plus_expected_output():
    models = [make_model("a/fits", context_window=1_500), make_model("b/too-small", context_window=1_499),
              make_model("c/other-provider", context_window=10)]
    ranking = rank(models, counts_of(1_000), expected_output_tokens=500, providers={"a", "b"})
    assert ids(ranking) == ["a/fits"]
    # Only models that passed the provider/model filters are counted.
    assert ranking.excluded_context_window == 1


def test_context_exclusion_is_counted_before_mmlu_and_cost_filters():
    models = [make_model("a/small-unscored", context_window=10, mmlu_score=None)]
    assert rank(models, counts_of(), min_mmlu=50.0).excluded_context_window == 1


def test_table_and_plain_models_rank_alike():
    models = [make_model("openai/a", 2.0), make_model("groq/b", 1.0, tokenizer="llama")]
    counts = counts_of(500, llama=550)
    assert rank(RankingTable(models, NAMES), counts).items == rank(models, counts, provider_names=NAMES).items
    assert RankingTable(models).tokenizers == {"o200k_base", "llama"}


def test_negative_inputs_are_rejected():
    with pytest.raises(ValueError):
        rank([make_model("a/x")], counts_of(), expected_output_tokens=-1)
    with pytest.raises(ValueError):
        rank([make_model("a/x")], counts_of(), limit=-1)


@pytest.mark.parametrize("tokens", [0, 1_234, 272_001, 900_000])
def test_whole_catalog_ranking_agrees_with_price_request(tokens):
    if not CATALOG.is_file():
        pytest.skip(f"{CATALOG} not present")
    models = {m.id: m for m in load_models(CATALOG, VENDORS)}
    table = RankingTable(models.values(), NAMES)
    counts = {name: TokenCount(tokens, name, name == "o200k_base") for name in table.tokenizers}
    ranking = rank(table, counts, expected_output_tokens=321)
    fits = [m for m in models.values() if m.context_window >= tokens + 321]
    assert len(ranking.items) == len(fits)
    assert ranking.excluded_context_window == len(models) - len(fits)
    for item in ranking.items:
        cost = price_request(models[item["id"]], tokens, 321)
        assert (item["input_cost"], item["output_cost"], item["total_cost"], item["long_context"]) == (
            cost.input_cost, cost.output_cost, cost.total_cost, cost.long_context)
    assert [i["total_cost"] for i in ranking.items] == sorted(i["total_cost"] for i in ranking.items)


def _outlook(model_id: str, bucket0: Forecast, min_samples: int = 5) -> Outlook:
    empty = Forecast(None, None, None, 0)
    return Outlook({model_id: (bucket0, *[empty] * (BUCKETS - 1))}, {}, min_samples)


def test_auto_prices_the_predicted_median_and_states_its_range():
    model = make_model("openai/a", 2.0, 10.0)
    ranking = rank([model], counts_of(100), expected_output_tokens=AUTO,
                   outlook=_outlook("openai/a", Forecast(300, 200, 450, 12)))
    item = ranking.items[0]
    expected = price_request(model, 100, 300)
    assert (item["expected_output_tokens"], item["output_cost"], item["total_cost"]) == \
        (300, expected.output_cost, expected.total_cost)
    assert item["output_basis"] == {"kind": "history", "samples": 12}
    assert item["output_cost_range"] == {"low": price_request(model, 0, 200).output_cost,
                                         "high": price_request(model, 0, 450).output_cost}


def test_auto_without_enough_samples_or_outlook_is_input_only():
    model = make_model("openai/a", 2.0, 10.0)
    few = rank([model], counts_of(100), expected_output_tokens=AUTO,
               outlook=_outlook("openai/a", Forecast(None, None, None, 3))).items[0]
    assert few["output_basis"] == {"kind": "none", "samples": 3}
    assert (few["expected_output_tokens"], few["output_cost"], few["output_cost_range"]) == (0, 0.0, None)
    other_length = rank([model], counts_of(5_000), expected_output_tokens=AUTO,
                        outlook=_outlook("openai/a", Forecast(300, 200, 450, 12))).items[0]
    assert other_length["output_basis"] == {"kind": "none", "samples": 0}
    assert rank([model], counts_of(100), expected_output_tokens=AUTO).items[0]["output_basis"]["kind"] == "none"


def test_the_predicted_output_must_fit_the_context_window():
    model = make_model("openai/a", context_window=350)
    ranking = rank([model], counts_of(100), expected_output_tokens=AUTO,
                   outlook=_outlook("openai/a", Forecast(300, 200, 450, 12)))
    assert ranking.items == [] and ranking.excluded_context_window == 1


def test_self_hosted_models_are_left_out_unless_configured():
    models = [make_model("openai/a"), make_model("ollama/b", 0.0, 0.0)]
    assert models[1].self_hosted and not models[0].self_hosted
    left_out = rank(models, counts_of(), exclude_self_hosted=True)
    assert [item["id"] for item in left_out.items] == ["openai/a"] and left_out.excluded_self_hosted == 1
    configured = rank(models, counts_of(), exclude_self_hosted=True, configured={"ollama"})
    assert [item["id"] for item in configured.items] == ["ollama/b", "openai/a"]
    assert configured.excluded_self_hosted == 0 and configured.items[0]["self_hosted"] is True
    assert len(rank(models, counts_of()).items) == 2


@pytest.mark.parametrize("bad", [-1, "AUTO", "10", 1.5, None])
def test_expected_output_tokens_is_auto_or_a_count(bad):
    with pytest.raises(ValueError):
        rank([make_model("openai/a")], counts_of(), expected_output_tokens=bad)
