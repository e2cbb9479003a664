"""min_quality and the quality and value sorts on a named benchmark: published (quality.csv) or eval:<name>."""
import threading

import pytest
from sqlalchemy import event

from app.pricing.benchmarks import Benchmark, BenchmarkError, check_minimum, check_value, resolve
from app.pricing.ranking import rank
from tests.pricing.test_ranking import counts_of, ids, make_model, quality
from tests.spend.conftest import fake, secrets_file, spend_app  # noqa: F401  (fixtures)

URL = "/api/get_best_price_for_prompt"
SOL, GROQ = "openai/gpt-6.1-sol", "groq/llama-3.1-8b"
PROMPTS = [{"prompt": f"Answer {i}", "grader": {"type": "contains", "expected": f"Answer {i}"}} for i in range(4)]


def price(client, status=200, **body):
    response = client.post(URL, json={"prompt": "Hello there", **body})
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


# The pure ranking: scores by model id replace the default benchmark for the quality and value sorts only.
def test_value_divides_the_named_scores_by_the_cost():
    cheap = make_model("a/cheap", 1, 1, mmlu_score=90.0, quality=quality(gpqa_diamond=90.0))
    dear = make_model("b/dear", 10, 10, mmlu_score=10.0, quality=quality(gpqa_diamond=10.0))
    counts = counts_of(1000)
    assert ids(rank([cheap, dear], counts, sort="value")) == ["a/cheap", "b/dear"]
    flipped = rank([cheap, dear], counts, sort="value", scores={"a/cheap": 5.0, "b/dear": 80.0})
    assert ids(flipped) == ["b/dear", "a/cheap"]   # 8 per $0.01 beats 5 per $0.001
    assert [item["quality_score"] for item in flipped.items] == [80.0, 5.0]
    # mmlu keeps MMLU whatever the request's benchmark; quality uses it.
    assert ids(rank([cheap, dear], counts, sort="mmlu", scores={"b/dear": 80.0})) == ["a/cheap", "b/dear"]
    assert ids(rank([cheap, dear], counts, sort="quality", scores={"b/dear": 80.0})) == ["b/dear", "a/cheap"]


def test_min_quality_leaves_out_low_and_unscored_models():
    models = [make_model(f"p/m{i}", 1, 1) for i in range(3)]
    kept = rank(models, counts_of(10), min_quality=({"p/m0": 70.0, "p/m1": 69.9}, 70.0))
    assert ids(kept) == ["p/m0"]


def test_benchmark_resolution_and_checks():
    models = [make_model("a/x", 1, 1)]
    with pytest.raises(BenchmarkError, match="Unknown benchmark 'gpqa'"):
        resolve("gpqa", models, lambda name: None, "benchmark")
    with pytest.raises(BenchmarkError, match="no eval named 'mine'"):
        resolve("eval:mine", models, lambda name: None, "benchmark")
    assert resolve("eval:mine", models, lambda name: {"a/x": 50.0}, "benchmark") == \
        Benchmark("eval:mine", "percent", {"a/x": 50.0})
    with pytest.raises(BenchmarkError, match="elo scale"):
        check_value(Benchmark("lmarena_text", "elo", {}), "benchmark")
    with pytest.raises(BenchmarkError, match="between 0 and 100"):
        check_minimum(Benchmark("eval:x", "percent", {}), 120.0, "min_quality")


def ids_of(body):
    return [item["id"] for item in body["data"]]


# Through the API.
def test_min_quality_on_a_published_benchmark(client):
    body = price(client, min_quality={"benchmark": "gpqa_diamond", "score": 70}, include_self_hosted=True)
    catalog = client.application.extensions["catalog"]
    assert body["count"] > 0
    for item in body["data"]:
        assert catalog.get(item["id"]).quality["gpqa_diamond"].score >= 70
    scored = [m.id for m in catalog.all() if "gpqa_diamond" in m.quality
              and m.quality["gpqa_diamond"].score >= 70]
    assert sorted(item["id"] for item in body["data"]) == sorted(scored)


def test_value_on_a_published_benchmark_reports_the_score_used(client):
    body = price(client, sort="value", benchmark="gpqa_diamond", expected_output_tokens=100)
    assert body["benchmark"] == "gpqa_diamond"
    catalog = client.application.extensions["catalog"]
    scored = [item for item in body["data"] if item["quality_score"] is not None]
    for item in scored:
        assert item["quality_score"] == catalog.get(item["id"]).quality["gpqa_diamond"].score
    paid = [item for item in scored if item["total_cost"] > 0]
    values = [item["quality_score"] / item["total_cost"] for item in paid]
    assert values == sorted(values, reverse=True) and len(paid) > 2
    first_unscored = next(i for i, item in enumerate(body["data"]) if item["quality_score"] is None)
    assert all(item["quality_score"] is None for item in body["data"][first_unscored:])   # they trail


def test_without_a_benchmark_the_default_one_is_used_and_named(client):
    catalog = client.application.extensions["catalog"].all()
    shares = {}
    for model in catalog:
        for key, score in model.quality.items():
            if score.scale == "percent":
                shares[key] = shares.get(key, 0) + 1
    default = max(sorted(shares), key=shares.get)   # the percent benchmark that scores the most rows
    for body in (price(client, sort="value", include_self_hosted=True),
                 price(client, include_self_hosted=True)):
        assert body["benchmark"] == default
        by_id = {item["id"]: item["quality_score"] for item in body["data"]}
        assert by_id == {m.id: (m.quality[default].score if default in m.quality else None) for m in catalog}
    assert client.get("/api/models").get_json()["default_benchmark"] == default
    # sort value without a benchmark keeps working: points per dollar on the default, unscored last
    body = price(client, sort="value", expected_output_tokens=100)
    paid = [item for item in body["data"] if item["quality_score"] is not None and item["total_cost"] > 0]
    values = [item["quality_score"] / item["total_cost"] for item in paid]
    assert len(paid) > 10 and values == sorted(values, reverse=True)


@pytest.mark.parametrize("body,field,message", [
    ({"benchmark": "nope"}, "benchmark", "Unknown benchmark 'nope'"),
    ({"min_quality": {"benchmark": "nope", "score": 1}}, "min_quality", "Unknown benchmark"),
    ({"min_quality": {"benchmark": "gpqa_diamond", "score": 101}}, "min_quality", "between 0 and 100"),
    ({"min_quality": {"benchmark": "gpqa_diamond"}}, "min_quality", None),
    ({"min_quality": {"benchmark": "gpqa_diamond", "score": "70"}}, "min_quality", None),
    ({"benchmark": "eval:never-ran"}, "benchmark", "no eval named 'never-ran'"),
    ({"sort": "best"}, "sort", None),
])
def test_bad_benchmarks_are_clear_400s(client, body, field, message):
    error = price(client, 400, **body)["error"]
    assert field in error["fields"]
    if message:
        assert message in error["message"]


def test_value_on_an_elo_benchmark_is_refused(client):
    # quality.csv has LMArena text ratings (elo): a filter on them works, points per dollar do not.
    error = price(client, 400, sort="value", benchmark="lmarena_text")["error"]
    assert "elo scale" in error["message"] and "benchmark" in error["fields"]
    catalog = client.application.extensions["catalog"]
    rated = {m.id for m in catalog.all() if "lmarena_text" in m.quality and m.quality["lmarena_text"].score >= 1450}
    kept = price(client, min_quality={"benchmark": "lmarena_text", "score": 1450}, include_self_hosted=True)
    assert rated and set(ids_of(kept)) == rated
    assert price(client, 400, min_quality={"benchmark": "lmarena_text", "score": 90})["error"]["fields"]


def test_an_eval_is_a_benchmark_for_its_principal(spend_app, fake):
    app = spend_app()
    client = app.test_client()
    fake.behave("llama-3.1-8b-instant", text="no idea")
    response = client.post("/api/evals", json={"name": "mine", "prompts": PROMPTS, "model_names": [SOL, GROQ]})
    assert response.status_code == 200
    kept = price(client, min_quality={"benchmark": "eval:mine", "score": 50})
    assert [item["id"] for item in kept["data"]] == [SOL]
    ranked = price(client, sort="value", benchmark="eval:mine", model_names=[SOL, GROQ, "openai/gpt-6-luna"])
    assert [(item["id"], item["quality_score"]) for item in ranked["data"]] == \
        [(SOL, 100.0), (GROQ, 0.0), ("openai/gpt-6-luna", None)]
    assert ranked["benchmark"] == "eval:mine"


def test_requests_that_name_no_eval_never_touch_the_database(spend_app):
    app = spend_app()
    client = app.test_client()
    price(client)   # warm up
    statements = []
    here = threading.get_ident()   # this request's thread: the forecast refresher reads on its own
    listener = lambda *args: threading.get_ident() == here and statements.append(args[2])   # noqa: E731
    engine = app.extensions["store"].engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        price(client, sort="value", benchmark="gpqa_diamond", min_quality={"benchmark": "mmlu", "score": 50})
        assert statements == []
        price(client, 400, benchmark="eval:mine")
        assert statements   # the check can fail: naming an eval reads the database
    finally:
        event.remove(engine, "before_cursor_execute", listener)
