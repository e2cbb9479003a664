"""POST /api/get_best_price_for_prompt: contract, counting, filters, sorts and errors."""
import json

import pytest

from app.pricing.cost import price_request

ITEM_FIELDS = ["id", "model_name", "provider", "price_per_token", "estimated_tokens", "total_cost",
               "input_cost", "output_cost", "expected_output_tokens", "tokenizer", "token_count_exact",
               "long_context", "mmlu_score", "model_size", "configured", "price_effective_from",
               "output_basis", "output_cost_range", "self_hosted", "quality_score", "price_window",
               "price_changes_at"]
URL = "/api/get_best_price_for_prompt"


@pytest.fixture
def o200k(reference_encodings):
    return reference_encodings["o200k_base"]


def post(client, body, **kwargs):
    return client.post(URL, json=body, **kwargs)


def assert_400(response, field):
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == 400 and field in error["fields"], error
    return error


def test_envelope_and_item_contract(client, o200k):
    body = post(client, {"prompt": "Hello, world"}).get_json()
    assert list(body) == ["success", "prompt", "estimated_tokens", "count", "excluded", "data", "benchmark",
                          "service_tier"]
    assert body["success"] is True and body["prompt"] == "Hello, world"
    assert body["estimated_tokens"] == len(o200k.encode("Hello, world")) == 3
    assert body["count"] == len(body["data"]) >= 60
    # Ollama is self-hosted and its provider is not configured here: left out by default.
    assert body["excluded"] == {"context_window": 0, "self_hosted": 7, "service_tier": 0}
    for item in body["data"]:
        assert list(item) == ITEM_FIELDS
        # "auto" by default, and no billed calls yet: input only, as before, and saying so.
        assert item["expected_output_tokens"] == 0 and item["output_cost"] == 0.0
        assert item["output_basis"] == {"kind": "none", "samples": 0} and item["output_cost_range"] is None
        assert item["self_hosted"] is False


def test_cheapest_first_and_costs_match_the_catalog(app, client):
    data = post(client, {"prompt": "Summarise the plot of Hamlet.", "expected_output_tokens": 500}).get_json()["data"]
    totals = [item["total_cost"] for item in data]
    assert totals == sorted(totals)
    catalog = app.extensions["catalog"]
    for item in data:
        model = catalog.get(item["id"])
        cost = price_request(model, item["estimated_tokens"], 500)
        assert (item["input_cost"], item["output_cost"], item["total_cost"]) == (
            cost.input_cost, cost.output_cost, cost.total_cost)
        assert item["price_per_token"] == model.input_price_per_mtok / 1e6


def test_exact_counts_for_openai_models_and_labelled_estimates_elsewhere(client, o200k):
    prompt = "def add(a, b):\n    return a + b  # 加法 🚀 <|endoftext|>"
    data = post(client, {"prompt": prompt}).get_json()["data"]
    exact = len(o200k.encode(prompt, disallowed_special=()))
    by_tokenizer = {}
    for item in data:
        by_tokenizer.setdefault(item["tokenizer"], set()).add((item["estimated_tokens"], item["token_count_exact"]))
    assert by_tokenizer["o200k_base"] == {(exact, True)}
    assert by_tokenizer["claude"] and all(not exact_ for _, exact_ in by_tokenizer["claude"])


def test_system_prompt_is_counted(client, o200k):
    alone = post(client, {"prompt": "Hi"}).get_json()["estimated_tokens"]
    with_system = post(client, {"prompt": "Hi", "system": "You are terse."}).get_json()["estimated_tokens"]
    assert with_system == alone + len(o200k.encode("You are terse."))


def test_context_window_exclusion_is_counted(client):
    body = post(client, {"prompt": "x", "expected_output_tokens": 300_000}).get_json()
    assert body["excluded"]["context_window"] > 0
    assert body["count"] + body["excluded"]["context_window"] >= 60


def test_long_context_tier_is_applied(app, client):
    catalog = app.extensions["catalog"]
    tiered = next(m for m in catalog.all() if m.long_context_threshold and m.tokenizer == "o200k_base")
    prompt = "hello " * (tiered.long_context_threshold + 10)   # one o200k token per "hello "
    item = next(i for i in post(client, {"prompt": prompt, "model_names": [tiered.id]}).get_json()["data"])
    assert item["estimated_tokens"] > tiered.long_context_threshold and item["long_context"] is True
    assert item["input_cost"] == pytest.approx(item["estimated_tokens"] * tiered.long_input_price_per_mtok / 1e6)


@pytest.mark.parametrize("filters,check", [
    ({"providers": ["anthropic", "Groq"]}, lambda i: i["provider"] in {"Anthropic", "Groq"}),
    ({"min_mmlu": 85}, lambda i: i["mmlu_score"] is not None and i["mmlu_score"] >= 85),
    ({"max_total_cost": 1e-6}, lambda i: i["total_cost"] <= 1e-6),
    ({"only_configured": True}, lambda i: i["configured"]),
])
def test_filters(client, filters, check):
    data = post(client, {"prompt": "Hello there", **filters}).get_json()["data"]
    assert all(check(item) for item in data)
    assert data or filters == {"only_configured": True}   # no keys configured in this app


def test_model_names_match_ids_and_names(client):
    data = post(client, {"prompt": "Hi", "model_names": ["gpt-oss-120b", "anthropic/claude-haiku-4-5"]}).get_json()["data"]
    ids = {item["id"] for item in data}
    assert "anthropic/claude-haiku-4-5" in ids
    assert {"groq/gpt-oss-120b", "together/gpt-oss-120b"} <= ids
    assert all(i["model_name"] == "gpt-oss-120b" or i["id"] == "anthropic/claude-haiku-4-5" for i in data)


def test_limit_and_sorts(client):
    cheapest = post(client, {"prompt": "Hi", "limit": 3}).get_json()["data"]
    assert len(cheapest) == 3
    by_mmlu = post(client, {"prompt": "Hi", "sort": "mmlu"}).get_json()["data"]
    scores = [i["mmlu_score"] for i in by_mmlu if i["mmlu_score"] is not None]
    assert scores == sorted(scores, reverse=True) and by_mmlu[0]["mmlu_score"] == max(scores)
    assert all(i["mmlu_score"] is None for i in by_mmlu[len(scores):])
    # value without a benchmark: points per dollar on the default benchmark, which the response names
    by_value = post(client, {"prompt": "Hi", "sort": "value", "expected_output_tokens": 100}).get_json()
    assert by_value["benchmark"] == client.get("/api/models").get_json()["default_benchmark"]
    paid = [i for i in by_value["data"] if i["quality_score"] is not None and i["total_cost"] > 0]
    ratios = [i["quality_score"] / i["total_cost"] for i in paid]
    assert len(paid) > 10 and ratios == sorted(ratios, reverse=True)


def test_configured_flag_follows_credentials(make_app, tmp_path):
    secrets = tmp_path / "s.yaml"
    secrets.write_text("groq: {api_key: gsk-test}\n")
    client = make_app(SECRETS_FILE=str(secrets)).test_client()
    data = post(client, {"prompt": "Hi", "only_configured": True}).get_json()["data"]
    assert data and {i["provider"] for i in data} == {"Groq"} and all(i["configured"] for i in data)


def test_self_hosted_models_rank_on_request_by_flag_or_by_name(client):
    default = post(client, {"prompt": "Hi"}).get_json()
    assert not any(item["self_hosted"] for item in default["data"]) and default["excluded"]["self_hosted"] == 7
    flagged = post(client, {"prompt": "Hi", "include_self_hosted": True}).get_json()
    ollama = [item for item in flagged["data"] if item["self_hosted"]]
    assert len(ollama) == 7 and {item["provider"] for item in ollama} == {"Ollama"}
    assert flagged["excluded"]["self_hosted"] == 0 and flagged["count"] == default["count"] + 7
    named = post(client, {"prompt": "Hi", "providers": ["ollama"]}).get_json()
    assert named["count"] == 7 and named["excluded"]["self_hosted"] == 0


def test_a_configured_self_hosted_provider_ranks_by_default(make_app, tmp_path):
    secrets = tmp_path / "s.yaml"
    secrets.write_text('ollama: {base_url: "http://127.0.0.1:11434/v1"}\n')
    body = post(make_app(SECRETS_FILE=str(secrets)).test_client(), {"prompt": "Hi"}).get_json()
    assert body["excluded"]["self_hosted"] == 0 and sum(item["self_hosted"] for item in body["data"]) == 7


def test_output_tokens_given_or_auto(client):
    given = post(client, {"prompt": "Hi", "expected_output_tokens": 40, "limit": 3}).get_json()["data"]
    assert all(item["output_basis"] == {"kind": "given", "samples": 0} and item["expected_output_tokens"] == 40
               for item in given)
    auto = post(client, {"prompt": "Hi", "expected_output_tokens": "auto", "limit": 3}).get_json()["data"]
    assert all(item["output_basis"]["kind"] == "none" for item in auto)


@pytest.mark.parametrize("body,field", [
    ({}, "prompt"),
    ({"prompt": ""}, "prompt"),
    ({"prompt": 42}, "prompt"),
    ({"prompt": "hi", "surprise": 1}, "surprise"),
    ({"prompt": "hi", "expected_output_tokens": -1}, "expected_output_tokens"),
    ({"prompt": "hi", "expected_output_tokens": "10"}, "expected_output_tokens"),
    ({"prompt": "hi", "expected_output_tokens": 1.5}, "expected_output_tokens"),
    ({"prompt": "hi", "expected_output_tokens": True}, "expected_output_tokens"),
    ({"prompt": "hi", "expected_output_tokens": "AUTO"}, "expected_output_tokens"),
    ({"prompt": "hi", "expected_output_tokens": None}, "expected_output_tokens"),
    ({"prompt": "hi", "include_self_hosted": "yes"}, "include_self_hosted"),
    ({"prompt": "hi", "providers": "openai"}, "providers"),
    ({"prompt": "hi", "providers": ["acme"]}, "providers"),
    ({"prompt": "hi", "model_names": ["gpt-0"]}, "model_names"),
    ({"prompt": "hi", "min_mmlu": "80"}, "min_mmlu"),
    ({"prompt": "hi", "max_total_cost": -1}, "max_total_cost"),
    ({"prompt": "hi", "only_configured": "yes"}, "only_configured"),
    ({"prompt": "hi", "limit": 0}, "limit"),
    ({"prompt": "hi", "sort": "cheapest"}, "sort"),
    ({"prompt": "hi", "system": ["a"]}, "system"),
])
def test_bad_fields_are_400_naming_the_field(client, body, field):
    error = assert_400(post(client, body), field)
    if field in {"providers", "model_names"} and isinstance(body[field], list):
        assert body[field][0] in error["message"]


def test_malformed_json_is_400(client):
    response = client.post(URL, data="{not json", content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"]["message"]


@pytest.mark.parametrize("payload", ["[]", '"prompt"', "null"])
def test_non_object_json_is_400(client, payload):
    response = client.post(URL, data=payload, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["success"] is False


def test_non_json_content_type_is_415(client):
    response = client.post(URL, data="prompt=hi", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415 and response.get_json()["error"]["code"] == 415


def test_body_over_max_content_length_is_413(make_app):
    client = make_app(MAX_CONTENT_LENGTH=1000).test_client()
    response = client.post(URL, data=json.dumps({"prompt": "x" * 2000}), content_type="application/json")
    assert response.status_code == 413 and response.get_json()["error"]["code"] == 413


def test_large_prompt_within_limit_is_ranked(client, o200k):
    prompt = "The quick brown fox jumps over the lazy dog. " * 20_000   # ~900 kB
    body = post(client, {"prompt": prompt, "limit": 1}).get_json()
    assert body["estimated_tokens"] == len(o200k.encode(prompt)) and body["count"] == 1


def test_heuristic_counts_without_encodings(make_app, tmp_path):
    client = make_app(TIKTOKEN_CACHE_DIR=str(tmp_path / "empty")).test_client()
    data = post(client, {"prompt": "Hello, world"}).get_json()["data"]
    assert data and all(i["token_count_exact"] is False for i in data)
    assert {i["tokenizer"] for i in data} == {"heuristic"}


@pytest.mark.parametrize("body,field", [
    ({"prompt": "hi", "expected_output_tokens": 10**30}, "expected_output_tokens"),
    ({"prompt": "hi", "limit": 10**30}, "limit"),
    ({"prompt": "hi", "model_names": [""]}, "model_names"),
])
def test_out_of_range_values_are_400_not_500(client, body, field):
    # found by schemathesis: huge integers and per-item list errors once broke the JSON encoder
    response = post(client, body)
    assert response.status_code == 400 and field in response.get_json()["error"]["fields"]
